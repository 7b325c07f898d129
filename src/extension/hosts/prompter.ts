/**
 * The editor's answers to the transport's questions (core/transport/types.ts Prompter), and the Cyrus admin
 * password for undelete and folder restores:
 *   - an unknown host key: a modal warning with its SHA256 fingerprint (Trust / Cancel). The transport writes
 *     an accepted key into the trust store file (known_hosts format) under context.globalStorageUri.
 *   - a password, key passphrase, keyboard-interactive answer or Cyrus admin password: an input box whose
 *     own button says whether to remember it (off by default). Nothing is asked in a notification, which
 *     can sit unseen in the notification centre while a task waits.
 *   - a secret is remembered only once it worked (the key decrypted, the server let us in) and is kept
 *     under what it unlocks (secretKeys.ts), never under the host's display name; a remembered secret the
 *     server rejects is forgotten at once and the operator is asked again, in the same input box.
 * Secrets never reach settings or the log: the log says what a secret unlocks, never its value.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { AdminLoginError, type AdminEndpoint } from '../../core/cyrus/imapAdmin';
import type { HostContext } from '../../core/hosts/context';
import type { Prompter, SecretQuestion } from '../../core/transport/types';
import { getLog } from '../log';
import { privateKeyIdentity } from './keyIdentity';
import { SECRET_PREFIX, describeSecret, secretKey, type HostIdentity, type SecretTarget } from './secretKeys';

/** What we stored: SecretStorage cannot list its keys in VS Code 1.100, so we keep the list. */
interface IndexEntry {
  key: string;
  /** The configured host name it was stored from (for "forget the secrets of host X"). */
  host: string;
  /** What it unlocks, in words. */
  what: string;
}

const INDEX_KEY = 'mailops.secretIndex';
/** The list of an older Mailops, whose keys named the host's display name: those secrets are dropped. */
const LEGACY_INDEX_KEY = 'mailops.secretKeys';

/** An answer given to the transport, waiting for its outcome. */
interface Pending {
  target: SecretTarget;
  host: string;
  value: string;
  fromStore: boolean;
  remember: boolean;
}

/** How many times the admin password is asked after the server refused one. */
const ADMIN_ATTEMPTS = 3;

/** The trust store of host keys accepted in the editor (known_hosts format), created on demand. */
export function trustStorePath(context: vscode.ExtensionContext): string {
  const dir = context.globalStorageUri.fsPath;
  mkdirSync(dir, { recursive: true });
  return join(dir, 'known_hosts');
}

/** The mail host a transport reaches, for keying secrets used there (connects first when needed). */
export async function hostIdentity(ctx: HostContext): Promise<HostIdentity> {
  if (ctx.transport.kind === 'local') return { kind: 'local' };
  if (!ctx.transport.peer) await ctx.transport.connect();
  const peer = ctx.transport.peer;
  if (!peer) throw new Error(`${ctx.config.name}: connected, but the transport did not report the server's host key`);
  return { kind: 'ssh', ...peer };
}

export class EditorPrompter implements Prompter {
  private readonly pending = new WeakMap<SecretQuestion, Pending>();
  private readonly ready: Promise<void>;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.ready = this.dropLegacy();
  }

  /** Secrets an older Mailops kept under `user@<display name>` are deleted: they may belong to another server now. */
  private async dropLegacy(): Promise<void> {
    const legacy = this.context.globalState.get<string[]>(LEGACY_INDEX_KEY);
    if (!legacy) return;
    for (const key of legacy) await this.context.secrets.delete(key);
    await this.context.globalState.update(LEGACY_INDEX_KEY, undefined);
    if (legacy.length) getLog().info(`forgot ${legacy.length} secret(s) that an older Mailops kept under host names; they are asked again when needed`);
  }

  async confirmHostKey(info: { host: string; port: number; keyType: string; fingerprint: string }): Promise<boolean> {
    const trust = vscode.l10n.t('Trust');
    const answer = await vscode.window.showWarningMessage(
      vscode.l10n.t('The host key of {0} (port {1}) is not known.', info.host, info.port),
      {
        modal: true,
        detail: vscode.l10n.t(
          '{0} key fingerprint:\n{1}\n\nCompare it with the server\'s own (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the host) before trusting it. Trusted keys are kept in {2}.',
          info.keyType,
          info.fingerprint,
          trustStorePath(this.context),
        ),
      },
      trust,
    );
    getLog().info(`host key ${info.keyType} ${info.fingerprint} of ${info.host}:${info.port}: ${answer === trust ? 'trusted by the operator' : 'refused'}`);
    return answer === trust;
  }

  /** What a transport question's answer unlocks; undefined when it must not be remembered (echoed answers, no subject). */
  private targetOf(q: SecretQuestion): SecretTarget | undefined {
    const s = q.subject;
    if (!s || q.echo) return undefined;
    if (s.kind === 'key-file') {
      const keyId = privateKeyIdentity(s.file);
      return keyId ? { kind: 'passphrase', keyId } : undefined;
    }
    if (!s.hostKey) return undefined;
    const login = { user: s.user, address: s.address, port: s.port, hostKey: s.hostKey };
    return q.kind === 'keyboard-interactive' ? { kind: 'ssh-answer', ...login, prompt: q.prompt } : { kind: 'ssh-password', ...login };
  }

  async askSecret(q: SecretQuestion): Promise<string | undefined> {
    await this.ready;
    const target = this.targetOf(q);
    if (target) {
      const stored = await this.context.secrets.get(secretKey(target));
      if (stored !== undefined) {
        getLog().debug(`using the stored ${describeSecret(target)}`);
        this.pending.set(q, { target, host: q.host, value: stored, fromStore: true, remember: true });
        return stored;
      }
    }
    const answer = await this.inputBox({
      title: q.kind === 'passphrase' ? vscode.l10n.t('Mailops: key passphrase ({0})', q.host) : vscode.l10n.t('Mailops: {0}@{1}', q.user, q.host),
      prompt: q.prompt,
      password: !q.echo,
      canRemember: target !== undefined,
    });
    if (answer === undefined) return undefined;
    if (target) this.pending.set(q, { target, host: q.host, value: answer.value, fromStore: false, remember: answer.remember });
    return answer.value;
  }

  secretOutcome(q: SecretQuestion, accepted: boolean): void {
    const p = this.pending.get(q);
    if (!p) return;
    this.pending.delete(q);
    void this.settle(p, accepted).catch((e: unknown) => getLog().warn(`secret storage: ${String(e)}`));
  }

  private async settle(p: Pending, accepted: boolean): Promise<void> {
    if (accepted && !p.fromStore && p.remember) await this.store(p.target, p.host, p.value);
    if (!accepted && p.fromStore) {
      getLog().info(`the server refused the stored ${describeSecret(p.target)}; forgot it`);
      await this.forgetKey(secretKey(p.target));
    }
  }

  /**
   * Run `use` with the Cyrus admin password of `ep` on the host of `ctx`: the remembered one if any, else
   * asked. When the server refuses LOGIN (AdminLoginError), a remembered password is forgotten and the
   * operator is asked again, saying so, up to three times. A typed password is remembered only after the
   * server accepted it, and only when the operator chose to. Resolves undefined when the operator cancels.
   */
  async withCyrusAdminPassword<T>(ctx: HostContext, ep: AdminEndpoint, use: (password: string) => Promise<T>): Promise<{ value: T } | undefined> {
    await this.ready;
    const target: SecretTarget = { kind: 'cyrus-admin', admin: ep.user, imapHost: ep.host, imapPort: ep.port, host: await hostIdentity(ctx) };
    const key = secretKey(target);
    let note: string | undefined;
    const stored = await this.context.secrets.get(key);
    if (stored !== undefined) {
      getLog().debug(`using the stored ${describeSecret(target)}`);
      try {
        return { value: await use(stored) };
      } catch (e) {
        if (!(e instanceof AdminLoginError)) throw e;
        getLog().info(`the server refused the stored ${describeSecret(target)}; forgot it`);
        await this.forgetKey(key);
        note = vscode.l10n.t('The server refused the remembered password, so Mailops forgot it.');
      }
    }
    for (let attempt = 1; ; attempt++) {
      const answer = await this.inputBox({
        title: vscode.l10n.t('Mailops: Cyrus admin password ({0})', ctx.config.name),
        prompt: `${note ? `${note} ` : ''}${vscode.l10n.t('Password of the Cyrus admin {0} at {1}:{2} on {3}', ep.user, ep.host, ep.port, ctx.config.name)}`,
        password: true,
        canRemember: true,
      });
      if (answer === undefined) return undefined;
      try {
        const value = await use(answer.value);
        if (answer.remember) await this.store(target, ctx.config.name, answer.value);
        return { value };
      } catch (e) {
        if (!(e instanceof AdminLoginError) || attempt >= ADMIN_ATTEMPTS) throw e;
        getLog().info(`the server refused the typed ${describeSecret(target)} (attempt ${attempt} of ${ADMIN_ATTEMPTS})`);
        note = vscode.l10n.t('The server refused that password (attempt {0} of {1}).', attempt, ADMIN_ATTEMPTS);
      }
    }
  }

  /**
   * An input box for a secret. When the secret may be remembered, the box's own button (a check box: off,
   * then on) says whether to keep it, and the prompt says what happens: the choice is made where the
   * password is typed, never in a later notification.
   */
  private inputBox(o: { title: string; prompt: string; password: boolean; canRemember: boolean }): Promise<{ value: string; remember: boolean } | undefined> {
    return new Promise((resolve) => {
      const box = vscode.window.createInputBox();
      let remember = false;
      let done = false;
      const render = () => {
        if (!o.canRemember) {
          box.prompt = o.prompt;
          return;
        }
        box.prompt = `${o.prompt} ${remember ? vscode.l10n.t('(It will be remembered in the editor\'s secret storage once the server accepts it.)') : vscode.l10n.t('(Not remembered: use the check box button to keep it in the editor\'s secret storage.)')}`;
        box.buttons = [
          {
            iconPath: new vscode.ThemeIcon(remember ? 'pass-filled' : 'circle-large-outline'),
            tooltip: remember ? vscode.l10n.t('Remember: on (click to use it once only)') : vscode.l10n.t('Remember: off (click to remember it)'),
          },
        ];
      };
      box.title = o.title;
      box.password = o.password;
      box.ignoreFocusOut = true;
      render();
      const finish = (v: { value: string; remember: boolean } | undefined) => {
        if (done) return;
        done = true;
        resolve(v);
        box.dispose();
      };
      box.onDidTriggerButton(() => {
        remember = !remember;
        render();
      });
      box.onDidAccept(() => finish({ value: box.value, remember: o.canRemember && remember }));
      box.onDidHide(() => finish(undefined));
      box.show();
    });
  }

  /** Keep a secret for what it unlocks (as choosing "remember" does once it worked), from host `host`. */
  async remember(target: SecretTarget, host: string, value: string): Promise<void> {
    await this.ready;
    await this.store(target, host, value);
  }

  /** Keep a Cyrus admin password for an endpoint on the host of `ctx`. */
  async rememberCyrusAdmin(ctx: HostContext, ep: AdminEndpoint, password: string): Promise<void> {
    await this.remember({ kind: 'cyrus-admin', admin: ep.user, imapHost: ep.host, imapPort: ep.port, host: await hostIdentity(ctx) }, ctx.config.name, password);
  }

  private index(): IndexEntry[] {
    return this.context.globalState.get<IndexEntry[]>(INDEX_KEY, []).filter((x) => typeof x?.key === 'string' && x.key.startsWith(SECRET_PREFIX));
  }

  private async store(target: SecretTarget, host: string, value: string): Promise<void> {
    const key = secretKey(target);
    await this.context.secrets.store(key, value);
    const entries = this.index().filter((x) => x.key !== key);
    entries.push({ key, host, what: describeSecret(target) });
    await this.context.globalState.update(INDEX_KEY, entries);
    getLog().info(`remembered the ${describeSecret(target)} (from host ${host})`);
  }

  private async forgetKey(key: string): Promise<void> {
    await this.context.secrets.delete(key);
    await this.context.globalState.update(
      INDEX_KEY,
      this.index().filter((x) => x.key !== key),
    );
  }

  /** What is stored, as `what` (host), for the "forget" command and the tests. */
  storedSecrets(): ReadonlyArray<Readonly<IndexEntry>> {
    return this.index();
  }

  /** Forget stored secrets: all, or those stored from one host. Returns how many were removed. */
  async forgetSecrets(host?: string): Promise<number> {
    await this.ready;
    const entries = this.index().filter((x) => host === undefined || x.host === host);
    for (const x of entries) await this.forgetKey(x.key);
    return entries.length;
  }
}
