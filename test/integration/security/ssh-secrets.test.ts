/**
 * 11.5 (the transport's part), against the sandbox's real sshd: every secret the transport asks for says what
 * it unlocks (the SSH login: user, address, port and the host key verified before authentication; a
 * passphrase: its key file), and the transport reports whether the answer worked, so that a prompter keeps
 * only secrets that worked and forgets those the server refused. The transport names the server it reached
 * (peer), for secrets used on that host.
 *
 *   MAILOPS_SANDBOX_HOST=d12|d13 flock /var/tmp/mailops-sandbox.testlock \
 *     node --import tsx --test --test-concurrency=1 test/integration/security/ssh-secrets.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSshTarget, type ResolvedSshTarget } from '../../../src/core/hosts/sshConfig';
import { SshTransport } from '../../../src/core/transport/ssh';
import type { Prompter, SecretQuestion } from '../../../src/core/transport/types';
import { privateKeyIdentity } from '../../../src/extension/hosts/keyIdentity';
import { ensureSandboxUp, type SandboxInfo } from '../../support/sandbox';

/** Answers from a list and records every question and every outcome. */
class OutcomePrompter implements Prompter {
  readonly asked: SecretQuestion[] = [];
  readonly outcomes: Array<{ q: SecretQuestion; accepted: boolean }> = [];
  constructor(private readonly answers: string[]) {}
  async confirmHostKey(): Promise<boolean> {
    return false;
  }
  async askSecret(q: SecretQuestion): Promise<string | undefined> {
    this.asked.push(q);
    return this.answers[this.asked.length - 1];
  }
  secretOutcome(q: SecretQuestion, accepted: boolean): void {
    this.outcomes.push({ q, accepted });
  }
}

let info: SandboxInfo;
let dir: string;
/** SHA256 fingerprint of the sandbox host's key, as ssh-keygen prints it. */
let hostKey: string;

before(async () => {
  info = await ensureSandboxUp();
  dir = mkdtempSync(join(tmpdir(), 'mailops-ssh-secrets-'));
  const line = readFileSync(info.ssh.knownHosts, 'utf8').split('\n').find((l) => l.includes(`:${info.ssh.port} `) && l.includes('ssh-ed25519'));
  assert.ok(line, `the sandbox's known_hosts has its ed25519 key: ${info.ssh.knownHosts}`);
  hostKey = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', '-'], { input: line, encoding: 'utf8' }).split(' ')[1]!;
  assert.match(hostKey, /^SHA256:/);
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function target(over: Partial<ResolvedSshTarget>): ResolvedSshTarget {
  const t = resolveSshTarget(
    { host: info.ssh.host, port: info.ssh.port, user: info.ssh.passwordUser, identityFiles: [], knownHostsFiles: [info.ssh.knownHosts], agent: false, useSshConfig: false },
    { home: dir },
  );
  return { ...t, knownHostsFiles: [info.ssh.knownHosts], ...over };
}

function transport(t: ResolvedSshTarget, p: Prompter): SshTransport {
  return new SshTransport({ name: 'sandbox-password', target: t, prompter: p, trustStorePath: join(dir, 'trust') });
}

describe('11.5: the transport says what a secret unlocks and whether it worked', () => {
  test('11.5: a wrong then a right password: both keyed by user, address, port and host key; the first reported refused, the second accepted', async () => {
    const p = new OutcomePrompter(['wrong-password-1', info.ssh.password]);
    const t = transport(target({ preferredAuthentications: ['password'] }), p);
    try {
      assert.equal((await t.run(['id', '-un'])).stdout, `${info.ssh.passwordUser}\n`);
      const subject = { kind: 'ssh-login', user: info.ssh.passwordUser, address: info.ssh.host, port: info.ssh.port, hostKey };
      assert.deepEqual(p.asked.map((q) => q.subject), [subject, subject]);
      assert.deepEqual(p.outcomes.map((o) => [p.asked.indexOf(o.q), o.accepted]), [[0, false], [1, true]]);
      assert.deepEqual(t.peer, { address: info.ssh.host, port: info.ssh.port, hostKey });
    } finally {
      await t.close();
    }
  });

  test('11.5: a keyboard-interactive answer (PAM) is keyed the same way and reported accepted', async () => {
    const p = new OutcomePrompter([info.ssh.password]);
    const t = transport(target({ preferredAuthentications: ['keyboard-interactive'] }), p);
    try {
      await t.run(['true']);
      assert.equal(p.asked[0]?.kind, 'keyboard-interactive');
      assert.deepEqual(p.asked[0]?.subject, { kind: 'ssh-login', user: info.ssh.passwordUser, address: info.ssh.host, port: info.ssh.port, hostKey });
      assert.deepEqual(p.outcomes.map((o) => o.accepted), [true]);
    } finally {
      await t.close();
    }
  });

  test('11.5: a passphrase is keyed by its key file (whose public key identifies it), and a wrong one is reported at once', async () => {
    const key = join(dir, 'id_enc');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'right phrase', '-C', 'mailops-test', '-f', key]);
    // The server does not know this key: after the passphrase, the login goes on with the password.
    const p = new OutcomePrompter(['wrong phrase', 'right phrase', info.ssh.password]);
    const t = transport(target({ identityFiles: [key], preferredAuthentications: ['publickey', 'password'] }), p);
    try {
      await t.run(['true']);
      assert.deepEqual(p.asked.map((q) => q.kind), ['passphrase', 'passphrase', 'password']);
      assert.deepEqual(p.asked[0]?.subject, { kind: 'key-file', file: key });
      assert.deepEqual(p.outcomes.map((o) => [o.q.kind, o.accepted]), [['passphrase', false], ['passphrase', true], ['password', true]]);
      // What the editor keys the passphrase by: the public key, as ssh-keygen -lf prints it.
      const expected = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${key}.pub`], { encoding: 'utf8' }).split(' ')[1];
      assert.equal(privateKeyIdentity(key), expected);
    } finally {
      await t.close();
    }
  });
});
