/**
 * Host keys against the sandbox's real sshd: unknown keys are asked about and remembered; a swapped host key
 * is refused with TransportError('host-key-changed') before any authentication.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sandboxCmd } from '../../support/sandbox';
import { TransportError } from '../../../src/core/errors';
import { fingerprintSha256 } from '../../../src/core/transport/knownHosts';
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
});
