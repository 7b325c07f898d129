/**
 * Authentication against the sandbox's real sshd: password and keyboard-interactive for the `mailops`
 * user through the Prompter, an encrypted key's passphrase, ssh-agent, and the failure modes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TransportError } from '../../../src/core/errors';
import { RecordingPrompter, rootTarget, sandboxSsh, scratch, sleep, transport, type SandboxSsh } from './helpers';

let ssh: SandboxSsh;
const tmp = scratch();
before(async () => {
  ssh = await sandboxSsh();
});
after(() => tmp.done());

const userTarget = (over: Parameters<typeof rootTarget>[2] = {}) => rootTarget(ssh, tmp.dir, { user: ssh.passwordUser, identityFiles: [], ...over });

describe('authentication', () => {
  test('password through the Prompter', async () => {
    const p = new RecordingPrompter({ secrets: [ssh.password] });
    const t = transport(userTarget({ preferredAuthentications: ['password'] }), p, `${tmp.dir}/trust`);
    try {
      assert.equal((await t.run(['id', '-un'])).stdout, `${ssh.passwordUser}\n`);
      assert.equal(p.secretsAsked.length, 1);
      assert.equal(p.secretsAsked[0]!.kind, 'password');
      assert.equal(p.secretsAsked[0]!.echo, false);
      assert.match(p.secretsAsked[0]!.prompt, new RegExp(`${ssh.passwordUser}@${ssh.host.replace(/\./g, '\\.')}'s password`));
    } finally {
      await t.close();
    }
  });

  test('a wrong password is asked again', async () => {
    const p = new RecordingPrompter({ secrets: ['wrong-password', ssh.password] });
    const t = transport(userTarget({ preferredAuthentications: ['password'] }), p, `${tmp.dir}/trust`);
    try {
      assert.equal((await t.run(['id', '-un'])).stdout, `${ssh.passwordUser}\n`);
      assert.equal(p.secretsAsked.length, 2);
      assert.match(p.secretsAsked[1]!.prompt, /try again/);
    } finally {
      await t.close();
    }
  });

  test('keyboard-interactive (PAM) through the Prompter', async () => {
    const p = new RecordingPrompter({ secrets: [ssh.password] });
    const t = transport(userTarget({ preferredAuthentications: ['keyboard-interactive'] }), p, `${tmp.dir}/trust`);
    try {
      assert.equal((await t.run(['id', '-un'])).stdout, `${ssh.passwordUser}\n`);
      assert.equal(p.secretsAsked.length, 1);
      assert.equal(p.secretsAsked[0]!.kind, 'keyboard-interactive');
      assert.match(p.secretsAsked[0]!.prompt, /password/i);
    } finally {
      await t.close();
    }
  });

  test('OpenSSH order: publickey before keyboard-interactive before password', async () => {
    // no usable key for this user: keyboard-interactive is asked first
    const p = new RecordingPrompter({ secrets: [ssh.password] });
    const t = transport(userTarget({ identityFiles: [ssh.identity] }), p, `${tmp.dir}/trust`);
    try {
      assert.equal((await t.run(['id', '-un'])).stdout, `${ssh.passwordUser}\n`);
      assert.deepEqual(p.secretsAsked.map((s) => s.kind), ['keyboard-interactive']);
    } finally {
      await t.close();
    }
    // root's key works: nothing is asked
    const q = new RecordingPrompter();
    const r = transport(rootTarget(ssh, tmp.dir), q, `${tmp.dir}/trust`);
    try {
      assert.equal((await r.run(['id', '-un'])).stdout, 'root\n');
      assert.equal(q.secretsAsked.length, 0);
    } finally {
      await r.close();
    }
  });

  test('cancelling the prompt fails with cancelled; no usable method fails with auth-failed', async () => {
    const p = new RecordingPrompter({ secrets: [undefined] });
    const t = transport(userTarget({ preferredAuthentications: ['password'] }), p, `${tmp.dir}/trust`);
    try {
      await assert.rejects(t.run(['true']), (e: unknown) => e instanceof TransportError && e.failure === 'cancelled');
    } finally {
      await t.close();
    }
    const q = new RecordingPrompter();
    const u = transport(userTarget({ preferredAuthentications: ['publickey'], identityFiles: [ssh.identity] }), q, `${tmp.dir}/trust`);
    try {
      await assert.rejects(u.run(['true']), (e: unknown) => e instanceof TransportError && e.failure === 'auth-failed' && e.host === 'sandbox' && /ssh -p/.test(e.hint ?? ''));
    } finally {
      await u.close();
    }
  });

  test('an encrypted identity file: passphrase asked through the Prompter (again when wrong)', async () => {
    const key = join(tmp.dir, 'id_encrypted');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'correct horse', '-C', 'mailops-test-encrypted', '-f', key]);
    // AuthorizedKeysFile is DIR/ssh/authorized_keys/%u; the sandbox only manages root's file.
    const authFile = join(dirname(ssh.identity), 'authorized_keys', ssh.passwordUser);
    assert.ok(!existsSync(authFile), `${authFile} is not ours to overwrite`);
    writeFileSync(authFile, execFileSync('cat', [`${key}.pub`]));
    try {
      const p = new RecordingPrompter({ secrets: ['wrong', 'correct horse'] });
      const t = transport(userTarget({ identityFiles: [key], preferredAuthentications: ['publickey'] }), p, `${tmp.dir}/trust`);
      try {
        assert.equal((await t.run(['id', '-un'])).stdout, `${ssh.passwordUser}\n`);
      } finally {
        await t.close();
      }
      assert.deepEqual(p.secretsAsked.map((s) => s.kind), ['passphrase', 'passphrase']);
      assert.match(p.secretsAsked[1]!.prompt, /Wrong passphrase/);
    } finally {
      rmSync(authFile, { force: true });
    }
  });

  test('ssh-agent: a key held by the agent, no identity files', async () => {
    const sock = join(tmp.dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 50 && !existsSync(sock); i++) await sleep(50);
      execFileSync('ssh-add', [ssh.identity], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
      const p = new RecordingPrompter();
      const t = transport(rootTarget(ssh, tmp.dir, { identityFiles: [], agent: sock, preferredAuthentications: ['publickey'] }), p, `${tmp.dir}/trust`);
      try {
        assert.equal((await t.run(['id', '-un'])).stdout, 'root\n');
        assert.equal(p.secretsAsked.length, 0);
      } finally {
        await t.close();
      }
    } finally {
      agent.kill('SIGTERM');
    }
  });
});
