/**
 * Host keys against the sandbox's real sshd: unknown keys are asked about and remembered; a swapped host key
 * is refused with TransportError('host-key-changed') before any authentication.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sandboxCmd } from '../../support/sandbox';
import { TransportError } from '../../../src/core/errors';
import { fingerprintSha256, hashHostName } from '../../../src/core/transport/knownHosts';
import type { Prompter } from '../../../src/core/transport/types';
import { logSince, logSize, RecordingPrompter, rootTarget, sandboxSsh, scratch, sleep, transport, type SandboxSsh } from './helpers';

let ssh: SandboxSsh;
const tmp = scratch();
before(async () => {
  ssh = await sandboxSsh();
});
after(() => tmp.done());

function pubFingerprint(pubFile: string): string {
  return fingerprintSha256(Buffer.from(readFileSync(pubFile, 'utf8').trim().split(/\s+/)[1]!, 'base64'));
}

describe('host key verification', () => {
  test('an unknown key is shown to the Prompter; refused → host-key-unknown, nothing asked about auth', async () => {
    const p = new RecordingPrompter({ acceptHostKey: false, secrets: ['x'] });
    const t = transport(rootTarget(ssh, tmp.dir, { knownHostsFiles: [] }), p, join(tmp.dir, 'trust-refused'));
    try {
      await assert.rejects(t.run(['true']), (e: unknown) => e instanceof TransportError && e.failure === 'host-key-unknown' && /SHA256:/.test(e.meaning ?? ''));
      assert.equal(p.hostKeysAsked.length, 1);
      assert.equal(p.hostKeysAsked[0]!.fingerprint, pubFingerprint(`${ssh.hostKey}.pub`));
      assert.equal(p.hostKeysAsked[0]!.host, `[${ssh.host}]:${ssh.port}`);
      assert.equal(p.secretsAsked.length, 0);
    } finally {
      await t.close();
    }
  });

  test('an accepted key is appended to the trust store and not asked about again', async () => {
    const store = join(tmp.dir, 'sub', 'trust-accepted');
    const p = new RecordingPrompter({ acceptHostKey: true });
    const t1 = transport(rootTarget(ssh, tmp.dir, { knownHostsFiles: [] }), p, store);
    try {
      assert.equal((await t1.run(['echo', 'ok'])).stdout, 'ok\n');
    } finally {
      await t1.close();
    }
    const line = readFileSync(store, 'utf8');
    assert.match(line, new RegExp(`^\\[${ssh.host.replace(/\./g, '\\.')}\\]:${ssh.port} ssh-ed25519 \\S+\\n$`));
    const t2 = transport(rootTarget(ssh, tmp.dir, { knownHostsFiles: [] }), p, store);
    try {
      assert.equal((await t2.run(['echo', 'again'])).stdout, 'again\n');
    } finally {
      await t2.close();
    }
    assert.equal(p.hostKeysAsked.length, 1, 'asked once');
  });

  test('a swapped sandbox host key is refused as host-key-changed before any authentication', async () => {
    const key = ssh.hostKey;
    const known = join(tmp.dir, 'known_hosts.before-swap');
    copyFileSync(ssh.knownHosts, known); // the sandbox rewrites its known_hosts from the key on every start
    const oldFp = pubFingerprint(`${key}.pub`);
    copyFileSync(key, `${key}.mailops-test-backup`);
    copyFileSync(`${key}.pub`, `${key}.pub.mailops-test-backup`);
    try {
      rmSync(key);
      rmSync(`${key}.pub`);
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'swapped-by-test', '-f', key]);
      const newFp = pubFingerprint(`${key}.pub`);
      assert.notEqual(newFp, oldFp);
      await sandboxCmd('stop', 'sshd');
      await sandboxCmd('start', 'sshd');

      const p = new RecordingPrompter({ acceptHostKey: true, secrets: ['should-never-be-asked'] });
      const t = transport(rootTarget(ssh, tmp.dir, { knownHostsFiles: [known], preferredAuthentications: ['publickey', 'keyboard-interactive', 'password'] }), p, join(tmp.dir, 'trust-swap'));
      const offset = logSize(ssh.log);
      try {
        await assert.rejects(t.run(['true']), (e: unknown) => {
          assert.ok(e instanceof TransportError, String(e));
          assert.equal(e.failure, 'host-key-changed');
          assert.equal(e.host, 'sandbox');
          assert.ok(e.meaning?.includes(oldFp), 'names the old fingerprint');
          assert.ok(e.meaning?.includes(newFp), 'names the new fingerprint');
          assert.ok(e.meaning?.includes(`${known} line 1`), 'names the file and line of the old key');
          assert.match(e.hint ?? '', /ssh-keygen -R/);
          return true;
        });
      } finally {
        await t.close();
      }
      assert.equal(p.secretsAsked.length, 0, 'no password/passphrase was asked');
      assert.equal(p.hostKeysAsked.length, 0, 'a changed key is not offered for acceptance');
      await sleep(300); // let sshd write its log
      const log = logSince(ssh.log, offset);
      const port = t.localPort;
      assert.ok(port, 'the transport knows its local port');
      assert.match(log, new RegExp(`^Connection from \\S+ port ${port} on `, 'm'), `sshd saw our connection (port ${port}):\n${log}`);
      const ours = log.split('\n').filter((l) => l.includes(` port ${port} `));
      const auth = ours.filter((l) => /^(Accepted|Failed|Postponed|Invalid user|Connection closed by authenticating)/.test(l));
      assert.deepEqual(auth, [], `no authentication attempt from port ${port}; its log lines:\n${ours.join('\n')}`);
      // and the untouched trust store was not written
      assert.throws(() => readFileSync(join(tmp.dir, 'trust-swap')), /ENOENT/);
    } finally {
      renameSync(`${key}.mailops-test-backup`, key);
      renameSync(`${key}.pub.mailops-test-backup`, `${key}.pub`);
      await sandboxCmd('stop', 'sshd');
      await sandboxCmd('start', 'sshd');
    }
    // the restored key is trusted again
    const t = transport(rootTarget(ssh, tmp.dir), new RecordingPrompter(), join(tmp.dir, 'trust-after'));
    try {
      assert.equal((await t.run(['echo', 'restored'])).stdout, 'restored\n');
    } finally {
      await t.close();
    }
  });

  test('@revoked refuses the key even when another line trusts it', async () => {
    const pub = readFileSync(`${ssh.hostKey}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
    const kh = join(tmp.dir, 'known_hosts.revoked');
    writeFileSync(kh, `[${ssh.host}]:${ssh.port} ${pub}\n@revoked * ${pub}\n`);
    const p = new RecordingPrompter({ acceptHostKey: true });
    const t = transport(rootTarget(ssh, tmp.dir, { knownHostsFiles: [kh] }), p, join(tmp.dir, 'trust-revoked'));
    try {
      await assert.rejects(t.run(['true']), (e: unknown) => e instanceof TransportError && e.failure === 'host-key-changed' && /REVOKED/.test(e.message));
      assert.equal(p.hostKeysAsked.length, 0);
    } finally {
      await t.close();
    }
  });

  test('11.4 a host known only by another key type (RSA) is an error naming the line, not a trust prompt', async () => {
    // The sandbox sshd has only an ed25519 host key; known_hosts says the host has an RSA key.
    const rsa = join(tmp.dir, 'other_rsa');
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-C', 'not-the-host', '-f', rsa]);
    const rsaPub = readFileSync(`${rsa}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
    const kh = join(tmp.dir, 'known_hosts.rsa-only');
    writeFileSync(kh, `# the host as it was once known\n[${ssh.host}]:${ssh.port} ${rsaPub}\n`);
    const store = join(tmp.dir, 'trust-other-type');
    const p = new RecordingPrompter({ acceptHostKey: true, secrets: ['never'] });
    const t = transport(rootTarget(ssh, tmp.dir, { knownHostsFiles: [kh] }), p, store);
    const offset = logSize(ssh.log);
    try {
      await assert.rejects(t.run(['true']), (e: unknown) => {
        assert.ok(e instanceof TransportError, String(e));
        assert.equal(e.failure, 'host-key-changed');
        assert.equal(e.host, 'sandbox');
        assert.match(e.message, /known with another key type/);
        assert.ok(e.meaning?.includes(`ssh-rsa ${pubFingerprint(`${rsa}.pub`)} (${kh} line 2)`), `names the known line: ${e.meaning}`);
        assert.match(e.meaning ?? '', /offered only ssh-ed25519/, 'says what the server offered');
        assert.match(e.hint ?? '', new RegExp(`ssh-keygen -R .*${kh.replace(/[.]/g, '\\.')}`));
        return true;
      });
    } finally {
      await t.close();
    }
    assert.equal(p.hostKeysAsked.length, 0, 'no "unknown host, trust it?" prompt');
    assert.equal(p.secretsAsked.length, 0);
    assert.ok(!existsSync(store), 'nothing was added to the trust store');
    await sleep(300);
    const port = t.localPort;
    assert.ok(port);
    const ours = logSince(ssh.log, offset).split('\n').filter((l) => l.includes(` port ${port} `));
    assert.deepEqual(ours.filter((l) => /^(Accepted|Failed|Postponed)/.test(l)), [], `no authentication attempt:\n${ours.join('\n')}`);

    // With the host's real ed25519 line next to the RSA one, the ed25519 key is asked for and trusted.
    const real = readFileSync(`${ssh.hostKey}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
    writeFileSync(kh, `[${ssh.host}]:${ssh.port} ${rsaPub}\n[${ssh.host}]:${ssh.port} ${real}\n`);
    const q = new RecordingPrompter({ acceptHostKey: true });
    const t2 = transport(rootTarget(ssh, tmp.dir, { knownHostsFiles: [kh] }), q, store);
    try {
      assert.equal((await t2.run(['echo', 'ok'])).stdout, 'ok\n');
    } finally {
      await t2.close();
    }
    assert.equal(q.hostKeysAsked.length, 0);
  });

  test('11.4 a host name in capitals finds its hashed known_hosts entry (names are lowercased first)', async () => {
    const real = readFileSync(`${ssh.hostKey}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
    const kh = join(tmp.dir, 'known_hosts.hashed');
    writeFileSync(kh, `${hashHostName(`[localhost]:${ssh.port}`, randomBytes(20))} ${real}\n`);
    const p = new RecordingPrompter({ acceptHostKey: false });
    const t = transport(rootTarget(ssh, tmp.dir, { hostName: 'LocalHost', knownHostsFiles: [kh] }), p, join(tmp.dir, 'trust-hashed'));
    try {
      assert.equal((await t.run(['echo', 'ok'])).stdout, 'ok\n');
    } finally {
      await t.close();
    }
    assert.equal(p.hostKeysAsked.length, 0, 'the hashed line was found: nothing to ask');
  });

  test('11.4 the connect timeout does not run while a host-key or password prompt waits for a person', async () => {
    /** Answers like RecordingPrompter, 2.5 s later: longer than the 1 s connect timeout. */
    class SlowPrompter implements Prompter {
      readonly asked: string[] = [];
      async confirmHostKey(): Promise<boolean> {
        this.asked.push('host key');
        await sleep(2500);
        return true;
      }
      async askSecret(info: Parameters<Prompter['askSecret']>[0]): Promise<string | undefined> {
        this.asked.push(info.kind);
        await sleep(2500);
        return ssh.password;
      }
    }
    const p = new SlowPrompter();
    const t = transport(rootTarget(ssh, tmp.dir, { connectTimeout: 1, knownHostsFiles: [], user: ssh.passwordUser, identityFiles: [], preferredAuthentications: ['password'] }), p, join(tmp.dir, 'trust-slow'));
    try {
      assert.equal((await t.run(['id', '-un'])).stdout, `${ssh.passwordUser}\n`);
    } finally {
      await t.close();
    }
    assert.deepEqual(p.asked, ['host key', 'password']);
    // The timeout still applies to the network: a port where nothing answers the handshake.
    const silent = (await import('node:net')).createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const silentPort = (silent.address() as { port: number }).port;
    const t2 = transport(rootTarget(ssh, tmp.dir, { connectTimeout: 1, port: silentPort }), new RecordingPrompter(), join(tmp.dir, 'trust-silent'));
    const t0 = Date.now();
    try {
      await assert.rejects(t2.run(['true']), (e: unknown) => e instanceof TransportError && e.failure === 'connect-failed' && /within 1 s/.test(e.message));
      assert.ok(Date.now() - t0 < 3000, `gave up after ${Date.now() - t0} ms`);
    } finally {
      await t2.close();
      silent.close();
    }
  });
});
