import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adHocSshHost, defaultHostsPath, loadHostsFile } from '../../../src/core/hosts/load';
import { UsageError } from '../../../src/core/errors';
import { parseHostConfig } from '../../../src/core/hosts/model';

function withFile(text: string, fn: (path: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailops-load-'));
    const path = join(dir, 'hosts.json');
    writeFileSync(path, text);
    try {
      await fn(path);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const good = { name: 'mail1', ssh: { host: 'mail1.example.org', user: 'admin', port: 2222 }, server: 'dovecot', privilege: 'sudo' };

describe('loadHostsFile', () => {
  test('an object with "hosts"', withFile(JSON.stringify({ hosts: [good] }), async (p) => {
    const hosts = await loadHostsFile(p);
    assert.equal(hosts.length, 1);
    assert.equal(hosts[0]!.ssh!.port, 2222);
    assert.deepEqual(hosts[0]!.privilege, { mode: 'sudo', user: undefined });
  }));

  test('a bare list', withFile(JSON.stringify([good, { name: 'here', transport: 'local' }]), async (p) => {
    assert.deepEqual((await loadHostsFile(p)).map((h) => h.transport), ['ssh', 'local']);
  }));

  test('a missing file says how to create one', async () => {
    await assert.rejects(loadHostsFile('/nonexistent/mailops/hosts.json'), (e: unknown) =>
      e instanceof UsageError && /does not exist/.test(e.message) && /--ssh/.test(e.hint ?? ''));
  });

  test('bad JSON names line and column', withFile('{\n  "hosts": [\n    { "name": "a", }\n  ]\n}\n', async (p) => {
    await assert.rejects(loadHostsFile(p), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, new RegExp(`${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:\\d+: not valid JSON`));
      assert.match(e.hint ?? '', /line 3, column/);
      return true;
    });
  }));

  test('truncated JSON points at the end', withFile('{"hosts": [', async (p) => {
    await assert.rejects(loadHostsFile(p), /:1:12: not valid JSON/);
  }));

  test('a schema error names the field and the file', withFile(JSON.stringify({ hosts: [{ name: 'm', ssh: { host: 'x', port: 70000 } }] }), async (p) => {
    await assert.rejects(loadHostsFile(p), (e: unknown) =>
      e instanceof UsageError && /host "m"\.ssh\.port/.test(e.message) && e.hint!.includes(p));
  }));

  test('passwords in the file are refused', withFile(JSON.stringify([{ name: 'm', ssh: { host: 'x', password: 'hunter2' } }]), async (p) => {
    await assert.rejects(loadHostsFile(p), (e: unknown) => e instanceof UsageError && !e.message.includes('hunter2'));
  }));

  test('duplicate names', withFile(JSON.stringify([good, good]), async (p) => {
    await assert.rejects(loadHostsFile(p), /appears twice/);
  }));
});

describe('defaultHostsPath', () => {
  test('XDG_CONFIG_HOME is respected, relative values ignored', () => {
    assert.equal(defaultHostsPath({ XDG_CONFIG_HOME: '/xdg' }, '/home/u'), '/xdg/mailops/hosts.json');
    assert.equal(defaultHostsPath({ XDG_CONFIG_HOME: 'rel' }, '/home/u'), '/home/u/.config/mailops/hosts.json');
    assert.equal(defaultHostsPath({}, '/home/u'), '/home/u/.config/mailops/hosts.json');
  });
});

describe('adHocSshHost', () => {
  test('user@host:port with identity and known_hosts', () => {
    const h = adHocSshHost({ target: 'admin@mail.example.org:2222', identity: ['~/.ssh/k'], knownHosts: ['/tmp/kh'] });
    assert.deepEqual(h, {
      name: 'admin@mail.example.org:2222',
      transport: 'ssh',
      ssh: { host: 'mail.example.org', port: 2222, user: 'admin', identityFiles: ['~/.ssh/k'], knownHostsFiles: ['/tmp/kh'] },
      server: 'detect',
      privilege: { mode: 'none' },
    });
  });
  test('IPv6 in brackets, bare host', () => {
    assert.deepEqual(adHocSshHost({ target: 'root@[::1]:2222' }).ssh, { host: '::1', port: 2222, user: 'root' });
    assert.deepEqual(adHocSshHost({ target: 'mail' }).ssh, { host: 'mail' });
  });
  test('garbage is a UsageError', () => {
    assert.throws(() => adHocSshHost({ target: 'root@host:port' }), UsageError);
    assert.throws(() => adHocSshHost({ target: '' }), UsageError);
  });
});

describe('ssh.runner (issue 17.3)', () => {
  test('absent: undefined (the transport uses a channel per command); true and false are kept', () => {
    assert.equal(parseHostConfig(good).ssh!.runner, undefined);
    assert.equal(parseHostConfig({ ...good, ssh: { ...good.ssh, runner: false } }).ssh!.runner, false);
    assert.equal(parseHostConfig({ ...good, ssh: { ...good.ssh, runner: true } }).ssh!.runner, true);
  });

  test('anything else is refused, naming the field', () => {
    assert.throws(() => parseHostConfig({ ...good, ssh: { ...good.ssh, runner: 'no' } }), (e: unknown) => e instanceof UsageError && /ssh\.runner: expected true or false/.test(e.message));
  });
});
