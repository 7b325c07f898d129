/**
 * Authentication for one SSH hop, in OpenSSH's order: publickey (agent, then identity files),
 * keyboard-interactive, password. Secrets are asked lazily through the Prompter and never logged.
 */
import { readFileSync } from 'node:fs';
import { utils as ssh2utils, type AnyAuthMethod, type AuthenticationType, type KeyboardInteractiveCallback, type Prompt } from 'ssh2';
import { TransportError } from '../../errors';
import type { ResolvedSshTarget } from '../../hosts/sshConfig';
import type { LogFn } from '../run';
import type { Prompter, SecretQuestion, SecretSubject } from '../types';

type AuthStep =
  | { kind: 'agent'; socket: string }
  | { kind: 'key'; file: string }
  | { kind: 'keyboard-interactive' }
  | { kind: 'password'; attempt: number };

type Next = (m: AnyAuthMethod | false) => void;

export function authSteps(t: ResolvedSshTarget): AuthStep[] {
  const steps: AuthStep[] = [];
  for (const m of t.preferredAuthentications) {
    if (m === 'publickey') {
      if (t.agent && !t.identitiesOnly) steps.push({ kind: 'agent', socket: t.agent });
      for (const f of t.identityFiles) steps.push({ kind: 'key', file: f });
    } else if (m === 'keyboard-interactive') steps.push({ kind: 'keyboard-interactive' });
    else if (m === 'password') for (let i = 1; i <= 3; i++) steps.push({ kind: 'password', attempt: i });
  }
  return steps;
}

/** What was tried, for "authentication failed" messages. */
export function describeAuthSteps(t: ResolvedSshTarget): string {
  return authSteps(t).map((s) => (s.kind === 'key' ? `key ${s.file}` : s.kind)).join(', ') || 'no methods available';
}

/**
 * ssh2's authHandler for one connection attempt: each call tries the next step the server allows.
 * `error()` is why authentication stopped early (a cancelled prompt), if it did.
 *
 * Secrets are asked with what they unlock (SecretSubject: the login's user, address, port and the host key
 * verified before authentication; a passphrase's key file) and the Prompter is told whether each was
 * accepted (secretOutcome): a passphrase when it decrypts the key, a login answer when the server lets the
 * user in (`settle(true)` on 'ready') or asks again (the handler is called for the next method).
 */
export class Authenticator {
  private readonly steps: AuthStep[];
  private index = 0;
  private stopped?: TransportError;
  /** The SHA256 fingerprint of the host key, set by the host verifier before any authentication. */
  hostKey = '';
  /** Secrets sent with the method being tried; their outcome is known on the next call or on 'ready'. */
  private given: SecretQuestion[] = [];

  constructor(
    private readonly t: ResolvedSshTarget,
    private readonly hostLabel: string,
    private readonly prompter: Prompter,
    private readonly log: LogFn,
  ) {
    this.steps = authSteps(t);
  }

  error(): TransportError | undefined {
    return this.stopped;
  }

  /** Report the secrets of the method tried last as accepted (the login succeeded) or rejected. */
  settle(accepted: boolean): void {
    for (const q of this.given.splice(0)) this.prompter.secretOutcome?.(q, accepted);
  }

  private login(): SecretSubject {
    return { kind: 'ssh-login', user: this.t.user, address: this.t.hostName, port: this.t.port, hostKey: this.hostKey };
  }

  readonly handler = (methodsLeft: AuthenticationType[] | null, _partial: boolean | null, next: Next): void => {
    const allowed = (m: string) => !methodsLeft || methodsLeft.includes(m as AuthenticationType);
    // Called again: the method tried last was refused, and with it the secrets it carried.
    this.settle(false);
    this.tryNext(allowed, next).catch((e: unknown) => {
      this.stopped = e instanceof TransportError ? e : new TransportError('auth-failed', (e as Error).message, { host: this.hostLabel });
      next(false);
    });
  };

  private async tryNext(allowed: (m: string) => boolean, next: Next): Promise<void> {
    while (this.index < this.steps.length) {
      const step = this.steps[this.index++]!;
      const method = await this.prepare(step, allowed);
      if (method === 'cancel') {
        this.stopped = new TransportError('cancelled', 'authentication cancelled', { host: this.hostLabel, hint: 'run the command again and answer the prompt' });
        return next(false);
      }
      if (method) {
        this.log('debug', `${this.hostLabel}: trying ${method.type} authentication as ${this.t.user}${step.kind === 'key' ? ` (${step.file})` : ''}`);
        return next(method);
      }
    }
    next(false);
  }

  /** The ssh2 auth method for one step, undefined to skip it, 'cancel' when the person cancelled a prompt. */
  private async prepare(step: AuthStep, allowed: (m: string) => boolean): Promise<AnyAuthMethod | undefined | 'cancel'> {
    const username = this.t.user;
    const host = this.hostLabel;
    switch (step.kind) {
      case 'agent':
        return allowed('publickey') ? { type: 'agent', username, agent: step.socket } : undefined;
      case 'key': {
        if (!allowed('publickey')) return undefined;
        let data: Buffer;
        try {
          data = readFileSync(step.file);
        } catch (e) {
          this.log('warn', `${host}: cannot read identity file ${step.file}: ${(e as Error).message}`);
          return undefined;
        }
        const parsed = ssh2utils.parseKey(data);
        if (!(parsed instanceof Error)) return { type: 'publickey', username, key: data };
        if (!/encrypted|passphrase/i.test(parsed.message)) {
          this.log('warn', `${host}: identity file ${step.file} is not a usable private key: ${parsed.message}`);
          return undefined;
        }
        for (let attempt = 0; attempt < 3; attempt++) {
          const q: SecretQuestion = {
            host, user: username, kind: 'passphrase', echo: false, subject: { kind: 'key-file', file: step.file },
            prompt: attempt === 0 ? `Passphrase for key ${step.file}:` : `Wrong passphrase. Passphrase for key ${step.file}:`,
          };
          const passphrase = await this.prompter.askSecret(q);
          if (passphrase === undefined) return 'cancel';
          const ok = !(ssh2utils.parseKey(data, passphrase) instanceof Error);
          this.prompter.secretOutcome?.(q, ok);
          if (ok) return { type: 'publickey', username, key: data, passphrase };
        }
        this.log('warn', `${host}: wrong passphrase for ${step.file}, skipping it`);
        return undefined;
      }
      case 'keyboard-interactive': {
        if (!allowed('keyboard-interactive')) return undefined;
        const prompter = this.prompter;
        const login = this.login();
        const given = (q: SecretQuestion) => this.given.push(q);
        return {
          type: 'keyboard-interactive',
          username,
          prompt: (name: string, instructions: string, _lang: string, prompts: Prompt[], finish: KeyboardInteractiveCallback) => {
            void (async () => {
              const answers: string[] = [];
              for (const p of prompts) {
                const q: SecretQuestion = {
                  host, user: username, kind: 'keyboard-interactive', echo: p.echo === true, subject: login,
                  prompt: [name, instructions, p.prompt].filter((s) => s && s.trim()).join('\n'),
                };
                const a = await prompter.askSecret(q);
                if (a === undefined) {
                  finish([]);
                  return;
                }
                given(q);
                answers.push(a);
              }
              finish(answers);
            })().catch(() => finish([]));
          },
        };
      }
      case 'password': {
        if (!allowed('password')) return undefined;
        const q: SecretQuestion = {
          host, user: username, kind: 'password', echo: false, subject: this.login(),
          prompt: step.attempt === 1 ? `${username}@${this.t.hostName}'s password:` : `Permission denied, please try again. ${username}@${this.t.hostName}'s password:`,
        };
        const pw = await this.prompter.askSecret(q);
        if (pw === undefined) return 'cancel';
        this.given.push(q);
        return { type: 'password', username, password: pw };
      }
    }
  }
}
