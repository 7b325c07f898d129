/**
 * 11.5: each secret is kept under what it unlocks, never under a host's display name: the SSH password by
 * user, address, port and host key; a passphrase by its key; the Cyrus admin password by admin, IMAP address
 * and the mail host. Two secrets of different kinds never share a key, even for the same user on one host.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeSecret, secretKey, type SecretTarget } from '../../../src/extension/hosts/secretKeys';

const login = { user: 'cyrus', address: '127.0.0.1', port: 2222, hostKey: 'SHA256:abc' };
const host = { kind: 'ssh' as const, address: '127.0.0.1', port: 2222, hostKey: 'SHA256:abc' };

test('11.5: the SSH password and the Cyrus admin password of the same user on the same host have different keys', () => {
  const ssh = secretKey({ kind: 'ssh-password', ...login });
  const admin = secretKey({ kind: 'cyrus-admin', admin: 'cyrus', imapHost: '127.0.0.1', imapPort: 143, host });
  assert.notEqual(ssh, admin);
});

test('11.5/11.3: another address, port or host key gives another key (a renamed or redirected host is not offered the secret)', () => {
  const base = secretKey({ kind: 'ssh-password', ...login });
  assert.notEqual(secretKey({ kind: 'ssh-password', ...login, address: '192.0.2.2' }), base);
  assert.notEqual(secretKey({ kind: 'ssh-password', ...login, port: 22 }), base);
  assert.notEqual(secretKey({ kind: 'ssh-password', ...login, hostKey: 'SHA256:evil' }), base);
  const admin = (t: Partial<Extract<SecretTarget, { kind: 'cyrus-admin' }>>) => secretKey({ kind: 'cyrus-admin', admin: 'cyrus', imapHost: '127.0.0.1', imapPort: 143, host, ...t });
  assert.notEqual(admin({ imapHost: 'evil' }), admin({}));
  assert.notEqual(admin({ imapPort: 1143 }), admin({}));
  assert.notEqual(admin({ host: { ...host, hostKey: 'SHA256:evil' } }), admin({}));
  assert.notEqual(admin({ host: { kind: 'local' } }), admin({}));
});

test('11.5: a passphrase is keyed by the key alone; a keyboard-interactive answer also by its prompt', () => {
  assert.equal(secretKey({ kind: 'passphrase', keyId: 'SHA256:k' }), 'mailops.secret.v2/passphrase/SHA256%3Ak');
  assert.notEqual(secretKey({ kind: 'ssh-answer', ...login, prompt: 'Password: ' }), secretKey({ kind: 'ssh-answer', ...login, prompt: 'Verification code: ' }));
});

test('separators inside values cannot make two targets collide', () => {
  const a = secretKey({ kind: 'ssh-password', user: 'a@b', address: 'c', port: 1, hostKey: 'k' });
  const b = secretKey({ kind: 'ssh-password', user: 'a', address: 'b@c', port: 1, hostKey: 'k' });
  assert.notEqual(a, b);
  assert.match(describeSecret({ kind: 'cyrus-admin', admin: 'cyrus', imapHost: '127.0.0.1', imapPort: 143, host: { kind: 'local' } }), /Cyrus admin password of cyrus at 127\.0\.0\.1:143 on this machine/);
});
