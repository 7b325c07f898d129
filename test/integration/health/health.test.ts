/**
 * `mailops health` against the REAL sandbox host of this run (MAILOPS_SANDBOX_HOST: d12 or d13), Dovecot and
 * Cyrus, over the real sshd, with a backup root of its own: before any backup every account is "never"; then
 * alice gets a full backup and a verify that finds mail missing, bob a mirror whose next run fails (its lock
 * file replaced by a folder: the run logs its failure), carol a mirror made 3 hours "ago" (its state's mtime), the hostile account
 * nothing, and Cyrus a full backup. The CLI must exit 2 (CRITICAL) and print exactly those four problems; the
 * Prometheus file must say the same. With MAILOPS_HEALTH_CAPTURE=1 the raw script output of both stages is
 * saved under test/fixtures/health/<host>/ for the unit tests.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseHostConfig, type HostConfig } from '../../../src/core/hosts/model';
import type { HostContext } from '../../../src/core/hosts/context';
import { createTransport } from '../../../src/core/transport/index';
import { runBackup } from '../../../src/core/dovecot/backup';
import { cyrusBackup } from '../../../src/core/cyrus/backup';
import { dovecotLayout } from '../../../src/core/backup/layout';
import { buildHealthScript } from '../../../src/core/health/script';
import { ensureSandboxUp, sandboxHostId, PWNED_FILE } from '../../support/sandbox';

const ROOT = resolve(__dirname, '../../..');
const CAPTURE = process.env.MAILOPS_HEALTH_CAPTURE === '1';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<Run> {
  return new Promise((res, rej) => {
    execFile(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, MAILOPS_HOST: '' } }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return rej(err);
      res({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

/** The problem lines (everything after the status line), sorted. */
function problems(out: string): string[] {
  return out.trimEnd().split('\n').slice(1).sort();
}

let dove: HostContext;
let cyr: HostContext;
let hostsFile: string;
let scratch: string;
let backupRoot: string;
let hostile: string;

async function capture(stage: string): Promise<void> {
  if (!CAPTURE) return;
  const dir = join(ROOT, 'test/fixtures/health', sandboxHostId());
  mkdirSync(dir, { recursive: true });
  for (const [ctx, server] of [[dove, 'dovecot'], [cyr, 'cyrus']] as const) {
    const b = buildHealthScript(ctx.config, server);
    const r = await ctx.transport.run(b.argv);
    assert.equal(r.code, 0, r.stderr);
    writeFileSync(join(dir, `${stage}-${server}.txt`), r.stdout);
  }
}

describe(`mailops health (sandbox ${sandboxHostId()})`, { timeout: 900_000 }, () => {
  before(async () => {
    assert.ok(!existsSync(PWNED_FILE), `${PWNED_FILE} exists before this test ran: left by something else`);
    const s = await ensureSandboxUp();
    hostile = s.dovecot.hostileAccount;
    scratch = mkdtempSync(join(tmpdir(), 'mailops-it-health-'));
    // The sandbox hosts d12/d13 share the machine's /var/tmp: the root made here is the one they write.
    backupRoot = mkdtempSync(join('/var/tmp', 'mailops-it-health-'));
    chmodSync(backupRoot, 0o755);
    const ssh = { host: s.ssh.host, port: s.ssh.port, user: s.ssh.user, identityFiles: [s.ssh.identity], knownHostsFiles: [s.ssh.knownHosts], agent: false, useSshConfig: false };
    const hosts: HostConfig[] = [
      parseHostConfig({ name: 'sandbox-dovecot', transport: 'ssh', ssh, server: 'dovecot', dovecot: { config: s.dovecot.config, backupRoot } }),
      parseHostConfig({ name: 'sandbox-cyrus', transport: 'ssh', ssh, server: 'cyrus', cyrus: { config: s.cyrus.config, cyrusConf: s.cyrus.cyrusConf, backupRoot } }),
    ];
    hostsFile = join(scratch, 'hosts.json');
    writeFileSync(hostsFile, JSON.stringify({ hosts }, null, 2));
    const mk = (h: HostConfig): HostContext => ({ config: h, transport: createTransport(h, { prompter: { confirmHostKey: async () => false, askSecret: async () => undefined }, trustStorePath: join(scratch, 'known_hosts') }) });
    dove = mk(hosts[0]!);
    cyr = mk(hosts[1]!);
  });
  after(async () => {
    await dove?.transport.close();
    await cyr?.transport.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    if (backupRoot) rmSync(backupRoot, { recursive: true, force: true });
    assert.ok(!existsSync(PWNED_FILE), `${PWNED_FILE} exists: a name was executed by a shell`);
  });

  test('before any backup: every account and the Cyrus host are "never", exit 2', async () => {
    await capture('before');
    const r = await cli(['health', '--all-hosts', '--config', hostsFile]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout.split('\n')[0]!, /^HEALTH CRITICAL - 2\/2 hosts answered, 6 accounts, 0 ok, 6 never$/);
    assert.deepEqual(problems(r.stdout), [
      `sandbox-cyrus * backup never: no Cyrus backup on this host (${backupRoot}/cyrus does not exist)`,
      'sandbox-dovecot alice backup never: no backup folder: never backed up',
      'sandbox-dovecot bob backup never: no backup folder: never backed up',
      'sandbox-dovecot carol backup never: no backup folder: never backed up',
      `sandbox-dovecot ${hostile} backup never: no backup folder: never backed up`,
    ].sort());
  });

  test('failing, stale, missing, never: exactly those, exit 2, in the text, the JSON and the Prometheus file', async () => {
    // alice: a full backup (mirror + archive), then mail taken out of the mirror, found by verify (recorded).
    const full = await runBackup(dove, 'alice', { kind: 'full' });
    assert.ok(full.ok, JSON.stringify(full));
    const mirror = dovecotLayout(dove.config, 'alice').mirror;
    const rm = await dove.transport.run(['sh', '-c', 'f=$(find -L "$1" -path "*/cur/*" -type f | head -n 1) && [ -n "$f" ] && rm -- "$f" && echo "$f"', 'x', mirror]);
    assert.equal(rm.code, 0, rm.stderr);
    const asOf = new Date(Date.now() + 60_000).toISOString();
    const v = await cli(['verify', 'alice', '--host', 'sandbox-dovecot', '--config', hostsFile, '--grace', '0', '--as-of', asOf, '--json']);
    assert.equal(v.code, 1, v.stdout + v.stderr);
    const vr = JSON.parse(v.stdout);
    assert.equal(vr.totals.missingOlder, 1);
    assert.equal(vr.record.error, null, 'the verify result was recorded on the host');
    // bob: a good mirror, then a run that fails after writing its log: the lock path is a folder, which
    // flock cannot open (the run logs "lock fail reason cannot-open" and ends with exit 1).
    assert.ok((await runBackup(dove, 'bob', { kind: 'mirror' })).ok);
    const bobLock = dovecotLayout(dove.config, 'bob').lock;
    assert.equal((await dove.transport.run(['sh', '-c', 'rm -f -- "$1" && mkdir -- "$1"', 'x', bobLock])).code, 0);
    const failed = await runBackup(dove, 'bob', { kind: 'mirror' });
    assert.equal(failed.ok, false, `the run fails: ${JSON.stringify(failed)}`);
    // carol: a mirror whose last success is 3 hours old (policy: 2 h).
    assert.ok((await runBackup(dove, 'carol', { kind: 'mirror' })).ok);
    const carolState = dovecotLayout(dove.config, 'carol').state;
    const old = Math.floor(Date.now() / 1000) - 3 * 3600;
    assert.equal((await dove.transport.run(['touch', '-d', `@${old}`, carolState])).code, 0);
    // Cyrus: a full backup of the host covers both owners.
    const cb = await cyrusBackup(cyr, { kind: 'full' });
    assert.ok(cb.ok, JSON.stringify(cb));
    await capture('after');

    const prom = join(scratch, 'health.prom');
    const r = await cli(['health', '--all-hosts', '--config', hostsFile, '--format', 'prometheus', '--out', prom]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout.split('\n')[0]!, /^HEALTH CRITICAL - 2\/2 hosts answered, 6 accounts, 2 ok, 1 stale, 1 failing, 1 never, 1 missing$/);
    const oldIso = new Date(old * 1000).toISOString().replace(/\.000Z$/, 'Z');
    const lines = problems(r.stdout);
    assert.equal(lines.length, 4, lines.join('\n'));
    assert.match(lines[0]!, /^sandbox-dovecot alice verify missing: the verify of \S+ found 1 message\(s\) older than the backup missing from mirror$/);
    assert.match(lines[1]!, /^sandbox-dovecot bob mirror failing: the last mirror run \(\S+\) failed with exit code 1$/);
    assert.match(lines[2]!, new RegExp(`^sandbox-dovecot carol mirror stale: the newest mirror backup is 3 h old \\(${oldIso}; policy 2 h\\)$`));
    assert.equal(lines[3]!, `sandbox-dovecot ${hostile} backup never: no backup folder: never backed up`);

    const text = readFileSync(prom, 'utf8');
    const verdicts = [...text.matchAll(/^mailops_account_verdict\{host="([^"]*)",server="[^"]*",account="((?:[^"\\]|\\.)*)",verdict="([a-z]+)"\} 1$/gm)].map((m) => `${m[1]} ${m[2]} ${m[3]}`).sort();
    assert.deepEqual(verdicts, ['sandbox-cyrus alice ok', 'sandbox-cyrus bob ok', 'sandbox-dovecot alice missing', 'sandbox-dovecot bob failing', 'sandbox-dovecot carol stale', `sandbox-dovecot ${hostile} never`].sort());
    assert.match(text, /^# TYPE mailops_host_up gauge$/m);
    assert.match(text, /^mailops_host_up\{host="sandbox-dovecot",server="dovecot"\} 1$/m);
    assert.match(text, /^mailops_host_up\{host="sandbox-cyrus",server="cyrus"\} 1$/m);
    assert.match(text, /^mailops_verify_missing_messages\{host="sandbox-dovecot",server="dovecot",account="alice"\} 1$/m);
    assert.match(text, new RegExp(`^mailops_backup_last_success_timestamp_seconds\\{host="sandbox-dovecot",server="dovecot",account="carol",kind="mirror"\\} ${old}$`, 'm'));
    assert.match(text, /^mailops_backup_last_success_timestamp_seconds\{host="sandbox-cyrus",server="cyrus",account="\*",kind="full"\} \d+$/m);
    assert.equal((text.match(/^# HELP /gm) ?? []).length, (text.match(/^# TYPE /gm) ?? []).length);
    assert.deepEqual(readdirNoParts(scratch), [], 'no part or temporary file is left beside the metrics file');

    const j = await cli(['health', '--all-hosts', '--config', hostsFile, '--json']);
    assert.equal(j.code, 2);
    const report = JSON.parse(j.stdout);
    assert.equal(report.state, 'CRITICAL');
    assert.deepEqual(report.hosts.map((h: { host: string; up: boolean; accounts: number }) => [h.host, h.up, h.accounts]), [['sandbox-dovecot', true, 4], ['sandbox-cyrus', true, 2]]);
  });

  test('the same answer when awk is mawk (Debian\'s default awk; the sandbox roots have gawk)', async () => {
    // The script is run with a PATH whose awk is the host's mawk; only the order of the warning labels may differ.
    const wrap = 'd=$(mktemp -d) || exit 70; ln -s /usr/bin/mawk "$d/awk" || exit 70; PATH="$d:$PATH" sh -c "$0" "$@"; rc=$?; rm -rf "$d"; exit $rc';
    const norm = (out: string) => out.split('\n').map((l) => l.replace(/ warn\.(\w+)=(\S+)/g, (_m, k: string, v: string) => ` warn.${k}=${v.split('+').sort().join('+')}`)).join('\n');
    for (const [c, server] of [[dove, 'dovecot'], [cyr, 'cyrus']] as const) {
      const b = buildHealthScript(c.config, server);
      const gawk = await c.transport.run(b.argv);
      const mawk = await c.transport.run(['sh', '-c', wrap, b.script, b.name, ...b.args]);
      assert.equal(gawk.code, 0, gawk.stderr);
      assert.equal(mawk.code, 0, mawk.stderr);
      assert.ok(/^END\t\d+\t\d+$/m.test(mawk.stdout), `${server}: mawk's output ends with its END line:\n${mawk.stdout}`);
      assert.equal(norm(mawk.stdout).replace(/^(MAILOPS-HEALTH \S+ \S+) \d+$/m, '$1'), norm(gawk.stdout).replace(/^(MAILOPS-HEALTH \S+ \S+) \d+$/m, '$1'));
    }
  });
});

function readdirNoParts(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.startsWith('.') && /\.(part|tmp)$/.test(n));
}
