import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The built CLI (npm test builds before the unit phase), run as a user would run it.
const cli = join(__dirname, '../../../dist/cli.js');
function mailops(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, MAILOPS_HOST: '', ...env }, timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('mailops CLI: usage and exit codes', () => {
  test('--help lists the commands and exits 0', () => {
    const r = mailops(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /usage: mailops \[options\] COMMAND/);
    assert.match(r.stdout, /\n {2}probe +detect the mail servers/);
    assert.match(r.stdout, /exit codes: 0 ok, 1 the operation failed, 2 usage error/);
  });

  test('no command is a usage error (exit 2)', () => {
    assert.equal(mailops([]).code, 2);
  });

  test('an unknown command or flag is a usage error (exit 2)', () => {
    const a = mailops(['frobnicate']);
    assert.equal(a.code, 2);
    assert.match(a.stderr, /unknown command "frobnicate"/);
    const b = mailops(['probe', '--no-such-flag']);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /no-such-flag/);
  });

  test('no host selected: exit 2 with what to pass', () => {
    const r = mailops(['probe'], { XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'mailops-cli-')) });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no host selected/);
    assert.match(r.stderr, /--host NAME.*--ssh USER@HOST\[:PORT\].*--local/s);
  });

  test('hosts lists the hosts file; an unknown host name lists the known ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailops-cli-'));
    const file = join(dir, 'hosts.json');
    writeFileSync(file, JSON.stringify({ hosts: [{ name: 'mx1', transport: 'ssh', ssh: { host: 'mx1.example.org', user: 'root', port: 2200 }, server: 'dovecot' }, { name: 'here', transport: 'local' }] }));
    const list = mailops(['hosts', '--config', file, '--json']);
    assert.equal(list.code, 0);
    const parsed = JSON.parse(list.stdout) as { hosts: Array<{ name: string }> };
    assert.deepEqual(parsed.hosts.map((h) => h.name), ['mx1', 'here']);
    const human = mailops(['hosts', '--config', file]);
    assert.match(human.stdout, /mx1 +ssh +dovecot +root@mx1\.example\.org:2200/);
    const missing = mailops(['probe', '--config', file, '--host', 'nope', '--json']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no host named "nope".*known hosts: mx1, here/s);
    assert.equal((JSON.parse(missing.stdout) as { ok: boolean }).ok, false);
  });

  test('a password in the hosts file is refused: secrets do not belong in configuration', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailops-cli-'));
    const file = join(dir, 'hosts.json');
    writeFileSync(file, JSON.stringify([{ name: 'mx1', ssh: { host: 'mx1', password: 'hunter2' } }]));
    const r = mailops(['probe', '--config', file, '--host', 'mx1']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /passwords and passphrases do not belong in the configuration/);
    assert.doesNotMatch(r.stderr + r.stdout, /hunter2/);
  });

  test('--local probe runs on this machine and reports what it finds', () => {
    const r = mailops(['probe', '--local', '--json']);
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    const report = JSON.parse(r.stdout) as { transport: string; detected: string[] };
    assert.equal(report.transport, 'local');
    assert.equal(r.code, report.detected.length > 0 ? 0 : 1);
  });
});
