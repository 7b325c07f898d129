import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { listSshConfigHosts, parseUserHostPort, resolveSshTarget } from '../../../src/core/hosts/sshConfig';
import { UsageError } from '../../../src/core/errors';

const HOME = join(__dirname, '../../fixtures/ssh_config/home');
const SSH = join(HOME, '.ssh');
const opts = { home: HOME, env: { SSH_AUTH_SOCK: '/run/agent.sock' } };

describe('resolveSshTarget with ~/.ssh/config', () => {
  test('Host blocks: first obtained value wins, tokens and ~ expanded, ProxyJump resolved', () => {
    const r = resolveSshTarget({ host: 'mail1' }, opts);
    assert.equal(r.hostName, 'mail1.example.org');
    assert.equal(r.user, 'admin');
    assert.equal(r.port, 2022);
    assert.deepEqual(r.identityFiles, [join(SSH, 'id_mail1'), join(HOME, 'keys/admin@mail1.example.org')]);
    assert.equal(r.keepaliveInterval, 5);
    assert.equal(r.keepaliveCountMax, 5);
    assert.equal(r.connectTimeout, 7);
    assert.deepEqual(r.preferredAuthentications, ['publickey', 'password']);
    assert.deepEqual(r.knownHostsFiles.slice(0, 2), [join(SSH, 'known_hosts'), join(SSH, 'known_hosts.extra')]);
    assert.equal(r.agent, '/run/agent.sock');
    assert.equal(r.jumps.length, 1);
    const j = r.jumps[0]!;
    assert.deepEqual([j.alias, j.hostName, j.port, j.user], ['bastion', 'bastion.example.org', 2201, 'jumpuser']);
  });

  test('explicit Mailops settings win over ssh config', () => {
    const r = resolveSshTarget({ host: 'mail1', user: 'root', port: 22, identityFiles: ['~/k'], proxyJump: 'none', keepaliveInterval: 30, agent: false }, opts);
    assert.equal(r.user, 'root');
    assert.equal(r.port, 22);
    assert.equal(r.identityFiles[0], join(HOME, 'k'));
    assert.equal(r.identityFiles[2], join(HOME, 'keys/root@mail1.example.org'), '%r is the effective user');
    assert.deepEqual(r.jumps, []);
    assert.equal(r.keepaliveInterval, 30);
    assert.equal(r.agent, undefined);
  });

  test('Include with a glob relative to ~/.ssh is read where it stands (its values come first)', () => {
    const r = resolveSshTarget({ host: 'mail2' }, opts);
    assert.equal(r.hostName, 'mail2.example.org');
    assert.equal(r.port, 2022);
    assert.equal(r.user, 'ignored');
    assert.equal(r.agent, join(SSH, 'agent.sock'));
  });

  test('Include inside a Host block applies to that host only', () => {
    assert.equal(resolveSshTarget({ host: 'inc-only' }, opts).port, 4444);
    assert.equal(resolveSshTarget({ host: 'bastion' }, opts).port, 2200);
  });

  test('wildcards and negation in Host', () => {
    const a = resolveSshTarget({ host: 'db.internal' }, opts);
    assert.equal(a.user, 'internal-admin');
    assert.equal(a.identitiesOnly, true);
    const b = resolveSshTarget({ host: 'secret.internal' }, opts);
    assert.notEqual(b.user, 'internal-admin');
    assert.equal(b.identitiesOnly, false);
  });

  test('Match originalhost/user; Match exec is never run', () => {
    rmSync('/tmp/mailops-match-exec-ran', { force: true });
    assert.equal(resolveSshTarget({ host: 'matched', user: 'alice' }, opts).port, 2323);
    const bob = resolveSshTarget({ host: 'matched', user: 'bob' }, opts);
    assert.equal(bob.port, 22);
    assert.equal(bob.user, 'bob');
    assert.ok(!existsSync('/tmp/mailops-match-exec-ran'));
    assert.notEqual(resolveSshTarget({ host: 'other' }, opts).user, 'exec-user');
  });

  test('useSshConfig: false ignores the file; defaults are OpenSSH\'s', () => {
    const r = resolveSshTarget({ host: 'mail1', useSshConfig: false }, opts);
    assert.equal(r.hostName, 'mail1');
    assert.equal(r.port, 22);
    assert.equal(r.keepaliveInterval, 10);
    assert.equal(r.keepaliveCountMax, 3);
    assert.equal(r.connectTimeout, 20);
    assert.deepEqual(r.preferredAuthentications, ['publickey', 'keyboard-interactive', 'password']);
    assert.deepEqual(r.knownHostsFiles.slice(0, 1), [join(SSH, 'known_hosts')]);
  });

  test('a missing config file is no error', () => {
    const r = resolveSshTarget({ host: 'mail1' }, { ...opts, configPath: join(HOME, 'nope') });
    assert.equal(r.hostName, 'mail1');
  });
});

describe('listSshConfigHosts', () => {
  test('aliases without wildcards, in file order, Includes followed', () => {
    assert.deepEqual(listSshConfigHosts(join(SSH, 'config'), HOME), ['mail2', 'inc-only', 'mail1', 'bastion']);
  });
});

describe('parseUserHostPort', () => {
  test('forms', () => {
    assert.deepEqual(parseUserHostPort('host'), { user: undefined, host: 'host', port: undefined });
    assert.deepEqual(parseUserHostPort('u@host:2222'), { user: 'u', host: 'host', port: 2222 });
    assert.deepEqual(parseUserHostPort('u@[::1]:2222'), { user: 'u', host: '::1', port: 2222 });
    assert.deepEqual(parseUserHostPort('[fe80::1]'), { user: undefined, host: 'fe80::1', port: undefined });
    assert.deepEqual(parseUserHostPort('::1'), { user: undefined, host: '::1', port: undefined });
    assert.deepEqual(parseUserHostPort('ssh://u@h:23'), { user: 'u', host: 'h', port: 23 });
  });
  test('errors', () => {
    assert.throws(() => parseUserHostPort('u@host:99999'), UsageError);
    assert.throws(() => parseUserHostPort('@host'), UsageError);
    assert.throws(() => parseUserHostPort('u@'), UsageError);
    assert.throws(() => parseUserHostPort('host:abc'), UsageError);
  });
});
