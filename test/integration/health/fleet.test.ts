/**
 * Issue 14's must-show for `mailops health`, on three fleet hosts of the sandbox (n1 Debian 12, n2 Debian 13,
 * n3 Debian 12; each its own address, sshd and file system; `scripts/sandbox up --fleet 3`), Dovecot and Cyrus
 * on each, with a backup root of the test's own on every host:
 *   n1: a backup that fails: bob's backup folder made read-only (a read-only bind mount inside n1: even root
 *       cannot write it), then his backup run, which fails; every other account and Cyrus backed up.
 *   n2: a verify that finds missing mail (alice: a message taken out of her mirror), a stale account (carol:
 *       her last mirror 3 hours old), an account never backed up (the hostile one); the rest backed up.
 *   n3: its sshd stopped.
 * `mailops health --all-hosts` must exit 2 and print exactly those problems and nothing else; the Prometheus
 * file must say the same. Afterwards n3's sshd runs again, the mount is gone, the backup roots are removed, and
 * the fleet hosts this test started are stopped again. (Live mail is never changed: nothing to reseed.)
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseHostConfig, type HostConfig } from '../../../src/core/hosts/model';
import type { HostContext } from '../../../src/core/hosts/context';
import { createTransport } from '../../../src/core/transport/index';
import { runBackup } from '../../../src/core/dovecot/backup';
import { cyrusBackup } from '../../../src/core/cyrus/backup';
import { dovecotLayout } from '../../../src/core/backup/layout';

const ROOT = resolve(__dirname, '../../..');
const SANDBOX = join(ROOT, 'scripts/sandbox');
const DIR = process.env.MAILOPS_SANDBOX_DIR || '/var/tmp/mailops-sandbox';
const FLEET = ['n1', 'n2', 'n3'] as const;
/** On each fleet host's own /var/tmp. */
const BACKUP_ROOT = '/var/tmp/mailops-it-health-fleet';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], timeoutMs = 600_000): Promise<Run> {
  return new Promise((res, rej) => {
    execFile(cmd, args, { cwd: ROOT, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, MAILOPS_HOST: '' } }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return rej(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`));
      res({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

async function sandbox(...args: string[]): Promise<string> {
  const r = await run('bash', [SANDBOX, ...args]);
  if (r.code !== 0) throw new Error(`scripts/sandbox ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
  return r.stdout;
}

async function fleetUp(id: string): Promise<boolean> {
  const r = await run('bash', [SANDBOX, '--host', id, 'status', '--json']);
  try {
    return (JSON.parse(r.stdout) as { up: boolean }).up === true;
  } catch {
    return false;
  }
}

function cli(args: string[]): Promise<Run> {
  return run(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args]);
}

/** Run a command on a host over SSH; throws naming host and command when it fails. */
async function on(ctx: HostContext, argv: string[]): Promise<string> {
  const r = await ctx.transport.run(argv);
  if (r.code !== 0) throw new Error(`${ctx.config.name}: ${argv.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** Fleet hosts this test started (stopped again at the end); the others were up before. */
let startedFleet: string[] = [];
let scratch: string;
let hostsFile: string;
let hostile: string;
const ctxs = new Map<string, HostContext>();
let mounted: { ctx: HostContext; path: string } | null = null;
let sshdStopped = false;

function ctx(name: string): HostContext {
  const c = ctxs.get(name);
  if (!c) throw new Error(`no host ${name} in the test's hosts file`);
  return c;
}

describe('mailops health on three fleet hosts (issue 14 must-show)', { timeout: 1_500_000 }, () => {
  before(async () => {
    const wasUp = await Promise.all(FLEET.map(fleetUp));
    if (!wasUp.every(Boolean)) {
      await sandbox('up', '--fleet', '3');
      startedFleet = FLEET.filter((_, i) => !wasUp[i]);
    }
    for (const id of FLEET) assert.ok(await fleetUp(id), `fleet host ${id} is not up after scripts/sandbox up --fleet 3`);
    const all = JSON.parse(readFileSync(join(DIR, 'hosts.json'), 'utf8')) as { hosts: Array<Record<string, unknown>> };
    const hosts: HostConfig[] = [];
    for (const id of FLEET) {
      for (const server of ['dovecot', 'cyrus'] as const) {
        const name = `sandbox-${id}-${server}`;
        const raw = all.hosts.find((h) => h.name === name);
        assert.ok(raw, `${name} is not in ${DIR}/hosts.json`);
        const section = { ...(raw[server] as Record<string, unknown>), backupRoot: BACKUP_ROOT };
        hosts.push(parseHostConfig({ ...raw, [server]: section }));
      }
    }
    scratch = mkdtempSync(join(tmpdir(), 'mailops-it-health-fleet-'));
    hostsFile = join(scratch, 'hosts.json');
    writeFileSync(hostsFile, JSON.stringify({ hosts }, null, 2));
    for (const h of hosts) {
      ctxs.set(h.name, { config: h, transport: createTransport(h, { prompter: { confirmHostKey: async () => false, askSecret: async () => undefined }, trustStorePath: join(scratch, 'known_hosts') }) });
    }
    const status = JSON.parse(await sandbox('--host', 'n2', 'status', '--json')) as { dovecot: { hostileAccount: string } };
    hostile = status.dovecot.hostileAccount;
    // A clean backup root on every host (left over from an interrupted run: removed).
    for (const id of FLEET) await on(ctx(`sandbox-${id}-dovecot`), ['rm', '-rf', '--', BACKUP_ROOT]);
  });

  after(async () => {
    const errors: string[] = [];
    const attempt = async (what: string, f: () => Promise<unknown>) => {
      try {
        await f();
      } catch (e) {
        errors.push(`${what}: ${(e as Error).message}`);
      }
    };
    if (sshdStopped) await attempt('start n3 sshd', () => sandbox('--host', 'n3', 'start', 'sshd'));
    if (mounted) {
      const m = mounted;
      await attempt('unmount', () => on(m.ctx, ['umount', m.path]));
    }
    for (const id of FLEET) {
      const c = ctxs.get(`sandbox-${id}-dovecot`);
      if (c) await attempt(`remove ${BACKUP_ROOT} on ${id}`, () => on(c, ['rm', '-rf', '--', BACKUP_ROOT]));
    }
    for (const c of ctxs.values()) await c.transport.close().catch(() => undefined);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    for (const id of startedFleet) await attempt(`down ${id}`, () => sandbox('--host', id, 'down'));
    assert.deepEqual(errors, [], 'restoring the fleet hosts');
  });

  test('a failing backup, a never backed up account, a stale one, missing mail, a dead sshd: exactly those, exit 2', async (t) => {
    const n1 = ctx('sandbox-n1-dovecot');
    const n2 = ctx('sandbox-n2-dovecot');
    // Every account backed up on n1 and n2 (the hostile one on n2 excepted); Cyrus too.
    for (const account of ['alice', 'bob', 'carol', hostile]) {
      const r = await runBackup(n1, account, { kind: 'mirror' });
      assert.ok(r.ok, `n1 ${account}: ${JSON.stringify(r)}`);
    }
    for (const account of ['alice', 'bob', 'carol']) {
      const r = await runBackup(n2, account, { kind: account === 'alice' ? 'full' : 'mirror' });
      assert.ok(r.ok, `n2 ${account}: ${JSON.stringify(r)}`);
    }
    for (const id of ['n1', 'n2']) {
      const r = await cyrusBackup(ctx(`sandbox-${id}-cyrus`), { kind: 'full' });
      assert.ok(r.ok, `${id} cyrus: ${JSON.stringify(r)}`);
    }

    // n1: bob's backup folder read-only (a bind mount in n1's own mount namespace), and his next run fails.
    const bobDir = dovecotLayout(n1.config, 'bob').dir;
    await on(n1, ['mount', '--bind', bobDir, bobDir]);
    mounted = { ctx: n1, path: bobDir };
    await on(n1, ['mount', '-o', 'remount,bind,ro', bobDir]);
    // The script dies on its log file (dash exits 2 on a failed redirection): an error, never an "ok".
    await assert.rejects(runBackup(n1, 'bob', { kind: 'mirror' }), /did not run to its end[\s\S]*Read-only file system/);

    // n2: a message taken out of alice's mirror, found by verify (taken as made a minute from now, no grace).
    const mirror = dovecotLayout(n2.config, 'alice').mirror;
    await on(n2, ['sh', '-c', 'f=$(find -L "$1" -path "*/cur/*" -type f | head -n 1) && [ -n "$f" ] && rm -- "$f"', 'x', mirror]);
    const asOf = new Date(Date.now() + 60_000).toISOString();
    const v = await cli(['verify', 'alice', '--host', 'sandbox-n2-dovecot', '--config', hostsFile, '--grace', '0', '--as-of', asOf, '--json']);
    assert.equal(v.code, 1, v.stdout + v.stderr);
    assert.equal(JSON.parse(v.stdout).record.error, null, 'the verify result was recorded on n2');
    // n2: carol's last mirror 3 hours ago.
    const old = Math.floor(Date.now() / 1000) - 3 * 3600;
    await on(n2, ['touch', '-d', `@${old}`, dovecotLayout(n2.config, 'carol').state]);
    // n3: sshd stopped (open connections dropped too).
    await sandbox('--host', 'n3', 'stop', 'sshd');
    sshdStopped = true;

    const prom = join(scratch, 'health.prom');
    const r = await cli(['health', '--all-hosts', '--config', hostsFile, '--format', 'prometheus', '--out', prom]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    t.diagnostic(`mailops health --all-hosts: exit ${r.code}\n${r.stdout}`);
    const [status, ...lines] = r.stdout.trimEnd().split('\n');
    assert.equal(status, 'HEALTH CRITICAL - 4/6 hosts answered (sandbox-n3-dovecot unreachable, sandbox-n3-cyrus unreachable), 12 accounts, 8 ok, 1 stale, 1 failing, 1 never, 1 missing');
    const oldIso = new Date(old * 1000).toISOString().replace(/\.000Z$/, 'Z');
    const expected: Array<string | RegExp> = [
      `sandbox-n1-dovecot bob folder failing: the backup folder ${bobDir} is not writable: a run cannot take its lock or write its log`,
      /^sandbox-n2-dovecot alice verify missing: the verify of \S+ found 1 message\(s\) older than the backup missing from mirror$/,
      `sandbox-n2-dovecot carol mirror stale: the newest mirror backup is 3 h old (${oldIso}; policy 2 h)`,
      `sandbox-n2-dovecot ${hostile} backup never: no backup folder: never backed up`,
      /^sandbox-n3-dovecot - host unreachable: the host did not answer: .+$/,
      /^sandbox-n3-cyrus - host unreachable: the host did not answer: .+$/,
    ];
    assert.equal(lines.length, expected.length, `exactly ${expected.length} problem lines:\n${lines.join('\n')}`);
    expected.forEach((e, i) => (typeof e === 'string' ? assert.equal(lines[i], e) : assert.match(lines[i]!, e)));

    const text = readFileSync(prom, 'utf8');
    t.diagnostic(`the Prometheus file, without the ok verdicts:\n${text.split('\n').filter((l) => !/verdict="ok"/.test(l)).join('\n')}`);
    const up = [...text.matchAll(/^mailops_host_up\{host="([^"]*)",server="[^"]*"\} ([01])$/gm)].map((m) => `${m[1]} ${m[2]}`).sort();
    assert.deepEqual(up, ['sandbox-n1-cyrus 1', 'sandbox-n1-dovecot 1', 'sandbox-n2-cyrus 1', 'sandbox-n2-dovecot 1', 'sandbox-n3-cyrus 0', 'sandbox-n3-dovecot 0']);
    const bad = [...text.matchAll(/^mailops_account_verdict\{host="([^"]*)",server="[^"]*",account="((?:[^"\\]|\\.)*)",verdict="([a-z]+)"\} 1$/gm)]
      .filter((m) => m[3] !== 'ok')
      .map((m) => `${m[1]} ${m[2]} ${m[3]}`)
      .sort();
    assert.deepEqual(bad, ['sandbox-n1-dovecot bob failing', 'sandbox-n2-dovecot alice missing', 'sandbox-n2-dovecot carol stale', `sandbox-n2-dovecot ${hostile} never`].sort());
    const oks = [...text.matchAll(/^mailops_account_verdict\{[^}]*verdict="ok"\} 1$/gm)].length;
    assert.equal(oks, 8, 'the other accounts are ok: 3 of n1 Dovecot, 1 of n2 Dovecot, the 2 Cyrus owners of n1 and of n2');
    assert.match(text, /^mailops_verify_missing_messages\{host="sandbox-n2-dovecot",server="dovecot",account="alice"\} 1$/m);
    assert.match(text, new RegExp(`^mailops_backup_last_success_timestamp_seconds\\{host="sandbox-n2-dovecot",server="dovecot",account="carol",kind="mirror"\\} ${old}$`, 'm'));
    const hostileLines = text.split('\n').filter((l) => l.includes('host="sandbox-n2-dovecot"') && l.includes(`account="${hostile}"`));
    assert.deepEqual(hostileLines, [`mailops_account_verdict{host="sandbox-n2-dovecot",server="dovecot",account="${hostile}",verdict="never"} 1`], 'nothing but its verdict for the account never backed up');
  });
});
