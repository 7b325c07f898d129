/**
 * Cyrus backups as schedules, retention and the server-kind dispatch of the CLI, against the REAL sandbox
 * Cyrus over the REAL sshd (127.0.0.1:2222 as root), with a private backup root:
 *   - `mailops schedule install` on sandbox-cyrus writes /etc/cron.d/<name> (with the marker) and the script;
 *     the cron line's command, run by hand over SSH in cron's environment, makes an archive and a run log
 *     in the MAILOPS format; with the lock held it skips; status reports it; remove deletes only Mailops' files.
 *   - retention: with --keep 1, after two verified full chains the older chain is gone, the newest stays.
 *   - dispatch: `backup`, `backups`, `mailboxes ACCOUNT` on a Cyrus host; a detect host with both servers
 *     asks for --server.
 * Only the Cyrus account alice is reseeded (and only read); no Dovecot account is touched.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sandboxCmd, cyrusUser, PWNED_FILE } from '../../support/sandbox';
import { ROOT, setup, type CyrusEnv, type CliRun } from './helpers';
import { createTransport } from '../../../src/core/transport/index';
import type { HostContext } from '../../../src/core/hosts/context';
import { parseHostList } from '../../../src/core/hosts/model';
import { SCHEDULE_MARKER } from '../../../src/core/backup/schedule';
import { RunLogParser, parseStepLine } from '../../../src/core/backup/runlog';
import { cyrusScheduleName } from '../../../src/core/cyrus/schedule';

const execFileP = promisify(execFile);
let env: CyrusEnv;
let backupRoot: string;
let hostsFile: string;
let ctx: HostContext;
const cronFiles: string[] = [];

/** The real CLI (sources through tsx), --json, never through a shell; --host/--config given by the caller. */
async function mailops(args: string[]): Promise<CliRun> {
  const argv = ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args, '--config', hostsFile, '--json'];
  try {
    const r = await execFileP(process.execPath, argv, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, MAILOPS_HOST: '' } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr, json: r.stdout.trim() ? JSON.parse(r.stdout) : undefined };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    if (typeof err.code !== 'number') throw e;
    let json: unknown;
    try {
      json = err.stdout?.trim() ? JSON.parse(err.stdout) : undefined;
    } catch {
      json = undefined;
    }
    return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '', json };
  }
}
const cyrus = (...args: string[]) => mailops([...args, '--host', 'sandbox-cyrus']);

/** Run an argv on the sandbox host over SSH. */
async function onHost(argv: string[]) {
  return ctx.transport.run(argv, { timeoutMs: 120_000 });
}

async function archiveFiles(): Promise<string[]> {
  const r = await onHost(['sh', '-c', 'ls -1 "$1" 2>/dev/null || true', 'ls', `${backupRoot}/cyrus/archives`]);
  return r.stdout.split('\n').filter((l) => l !== '').sort();
}

before(async () => {
  env = await setup();
  rmSync(PWNED_FILE, { force: true });
  await sandboxCmd('reseed', 'cyrus', 'alice');
  backupRoot = mkdtempSync('/var/tmp/mailops-cyrus-sched-');
  chmodSync(backupRoot, 0o755);
  const hosts = JSON.parse(readFileSync(env.info.hostsFile, 'utf8')) as { hosts: Array<Record<string, unknown> & { name: string; cyrus?: Record<string, string>; dovecot?: Record<string, string> }> };
  const cy = hosts.hosts.find((h) => h.name === 'sandbox-cyrus')!;
  const dc = hosts.hosts.find((h) => h.name === 'sandbox-dovecot')!;
  cy.cyrus = { ...cy.cyrus, backupRoot };
  // One host, both servers, server "detect": the CLI must ask which one is meant.
  hosts.hosts.push({ ...cy, name: 'sandbox-both', server: 'detect', dovecot: { ...dc.dovecot }, cyrus: { ...cy.cyrus } });
  hostsFile = join(env.scratch, 'hosts.json');
  writeFileSync(hostsFile, JSON.stringify(hosts, null, 2));
  const config = parseHostList(hosts).find((h) => h.name === 'sandbox-cyrus')!;
  ctx = { config, transport: createTransport(config, { prompter: { confirmHostKey: async () => false, askSecret: async () => undefined }, trustStorePath: join(env.scratch, 'kh') }) };
});

after(async () => {
  if (ctx) {
    for (const f of cronFiles) await onHost(['rm', '-f', f]);
    await ctx.transport.close();
  }
  env?.cleanup();
  if (backupRoot) rmSync(backupRoot, { recursive: true, force: true });
  assert.equal(existsSync(PWNED_FILE), false, `${PWNED_FILE} appeared: a name reached a shell`);
});

test('schedule install for a Cyrus host; the cron line runs by hand; status; remove deletes only what Mailops installed', async () => {
  const name = cyrusScheduleName(ctx, 'full');
  assert.match(name, /^mailops-cyrus-full-host-[0-9a-f]{8}$/);
  const cronPath = `/etc/cron.d/${name}`;
  const scriptPath = `${backupRoot}/schedules/${name}.sh`;
  cronFiles.push(cronPath);
  const foreign = `/etc/cron.d/mailops-it-foreign-${process.pid}`;
  cronFiles.push(foreign);
  await onHost(['sh', '-c', 'printf "# not ours\\n" >"$1"', 'x', foreign]);

  const withAccount = await cyrus('schedule', 'install', 'alice', '--kind', 'full', '--every', '*/20 * * * *');
  assert.equal(withAccount.code, 2, 'an ACCOUNT is a usage error for the host-wide Cyrus backup');
  assert.match(withAccount.stderr, /host-wide: give no ACCOUNT/);
  const diff = await cyrus('schedule', 'install', '--kind', 'diff', '--every', '*/20 * * * *');
  assert.equal(diff.code, 2);
  assert.match(diff.stderr, /--kind full or --kind incr/);

  const inst = await cyrus('schedule', 'install', '--kind', 'full', '--every', '*/20 * * * *', '--keep', '1');
  assert.equal(inst.code, 0, inst.stderr);
  assert.equal(inst.json.name, name);
  assert.equal(inst.json.method, 'cron', 'PID 1 is not systemd in the sandbox');
  assert.deepEqual([...inst.json.files].sort(), [cronPath, scriptPath].sort());

  const cron = (await onHost(['cat', cronPath])).stdout;
  assert.ok(cron.includes(SCHEDULE_MARKER), cron);
  assert.ok(cron.endsWith('\n'), 'cron needs the last line terminated');
  const job = new RegExp(`^\\*/20 \\* \\* \\* \\* root (/bin/sh ${scriptPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} >/dev/null 2>&1)$`, 'm').exec(cron);
  assert.ok(job, `the job line runs the installed script:\n${cron}`);
  const command = job[1]!;
  const cronPathVar = /^PATH=(.*)$/m.exec(cron)?.[1];
  assert.ok(cronPathVar);
  const script = (await onHost(['cat', scriptPath])).stdout;
  assert.ok(script.startsWith('#!/bin/sh\n') && script.includes(SCHEDULE_MARKER));
  assert.equal((await onHost(['stat', '-c', '%a %U', scriptPath])).stdout.trim(), '700 root');

  // Exactly the cron line's command, in cron's environment (SHELL and PATH of the file, nothing else).
  const asCron = ['env', '-i', 'SHELL=/bin/sh', `PATH=${cronPathVar}`, '/bin/sh', '-c', command];
  const before1 = await archiveFiles();
  const run = await onHost(asCron);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(run.stdout, '', 'cron discards the output: everything goes to the log on the host');
  const made = (await archiveFiles()).filter((f) => !before1.includes(f));
  const tar = made.find((f) => /^\d{8}T\d{6}Z-full\.tar\.gz$/.test(f));
  assert.ok(tar, `a new full archive: ${made.join(' ')}`);
  const id = tar.replace(/\.tar\.gz$/, '');
  assert.ok(made.includes(`${id}.meta`) && made.includes(`${id}.mailboxes.txt`) && made.includes(`${id}.snar`), made.join(' '));
  const meta = (await onHost(['cat', `${backupRoot}/cyrus/archives/${id}.meta`])).stdout;
  assert.match(meta, /^verified=yes$/m);
  assert.match(meta, /^server=cyrus$/m);
  // listed by tar: the config dir's mailboxes.db and the spool's message files (as many as the meta says)
  const list = (await onHost(['tar', '-tzf', `${backupRoot}/cyrus/archives/${tar}`])).stdout.split('\n');
  assert.ok(list.includes(`${env.info.cyrus.configDirectory.replace(/^\//, '')}/mailboxes.db`), 'mailboxes.db is in the archive');
  const messageFiles = list.filter((l) => l.startsWith(env.info.cyrus.spool.replace(/^\//, '')) && /\/\d+\.$/.test(l)).length;
  assert.equal(String(messageFiles), /^message_files=(\d+)$/m.exec(meta)?.[1]);
  assert.ok(messageFiles >= cyrusUser(env.info, 'alice').total, `${messageFiles} message files`);

  // The run log: every line a MAILOPS step line, the same steps as an interactive run, ending with the result.
  const logs = (await onHost(['sh', '-c', 'ls -1 "$1"', 'ls', `${backupRoot}/cyrus/logs`])).stdout.split('\n').filter((l) => l.endsWith('-cyrus-full.log'));
  assert.equal(logs.length, 1, logs.join(' '));
  const logText = (await onHost(['cat', `${backupRoot}/cyrus/logs/${logs[0]}`])).stdout;
  const lines = logText.split('\n').filter((l) => l !== '');
  for (const l of lines) assert.ok(parseStepLine(l), `not a MAILOPS step line: ${l}`);
  const events = new RunLogParser().parseAll(logText);
  const steps = lines.map((l) => { const s = parseStepLine(l)!; return `${s.step} ${s.status}`; });
  for (const s of ['run start', 'lock ok', 'dump ok', 'archive ok', 'verify ok', 'retention ok', 'run result']) assert.ok(steps.includes(s), `${s} in ${steps.join(', ')}`);
  assert.equal(steps.at(-1), 'run result');
  const start = events.find((e) => e.type === 'step-start' && e.step === 'run');
  assert.ok(start?.type === 'step-start' && start.fields.server === 'cyrus' && start.fields.kind === 'full');
  const result = events.at(-1);
  assert.ok(result?.type === 'result' && result.ok && result.exitCode === 0 && result.fields.archive_id === id && result.fields.verified === 'yes');
  assert.equal(result.fields.log, `${backupRoot}/cyrus/logs/${logs[0]}`);
  const retentionStart = lines.map(parseStepLine).find((s) => s?.step === 'retention' && s.status === 'start');
  assert.equal(retentionStart?.fields.keep, '1', 'the installed script carries --keep');

  // Unattended runs do not wait for a lock held by another run: they skip (exit 3) and log it.
  const held = await onHost(['flock', `${backupRoot}/cyrus/lock`, ...asCron]);
  assert.equal(held.code, 3, held.stdout + held.stderr);
  const skipLog = (await onHost(['sh', '-c', 'ls -1t "$1" | head -n 1', 'ls', `${backupRoot}/cyrus/logs`])).stdout.trim();
  const skipped = new RunLogParser().parseAll((await onHost(['cat', `${backupRoot}/cyrus/logs/${skipLog}`])).stdout);
  assert.ok(skipped.some((e) => e.type === 'step-end' && e.step === 'lock' && e.status === 'skip'));
  assert.ok(skipped.some((e) => e.type === 'result' && e.fields.skipped === 'yes'));

  const st = await cyrus('schedule', 'status', '--kind', 'full');
  assert.equal(st.code, 0, st.stderr);
  assert.equal(st.json.installed, true);
  assert.equal(st.json.method, 'cron');
  assert.equal(st.json.every, '*/20 * * * *');
  assert.equal(st.json.script, scriptPath);
  const other = await cyrus('schedule', 'status', '--kind', 'incr');
  assert.equal(other.code, 1, 'the incr schedule is a different one, not installed');
  assert.equal(other.json.installed, false);

  const rm = await cyrus('schedule', 'remove', '--kind', 'full');
  assert.equal(rm.code, 0, rm.stderr);
  assert.deepEqual([...rm.json.removed].sort(), [cronPath, scriptPath].sort());
  assert.deepEqual(rm.json.kept, []);
  assert.equal((await onHost(['test', '-e', cronPath])).code, 1);
  assert.equal((await onHost(['test', '-e', scriptPath])).code, 1);
  assert.equal((await onHost(['test', '-f', foreign])).code, 0, 'a cron file Mailops did not write stays');
  assert.equal((await onHost(['test', '-f', `${backupRoot}/cyrus/archives/${tar}`])).code, 0, 'removing a schedule keeps the backups');
  assert.equal((await cyrus('schedule', 'status', '--kind', 'full')).code, 1);

  // A file of that name that Mailops did not write is neither overwritten nor removed.
  await onHost(['sh', '-c', 'printf "# not ours\\n" >"$1"', 'x', cronPath]);
  const refused = await cyrus('schedule', 'install', '--kind', 'full', '--every', '*/20 * * * *');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /not written by Mailops/);
  const kept = await cyrus('schedule', 'remove', '--kind', 'full');
  assert.deepEqual(kept.json.kept, [cronPath]);
  assert.equal((await onHost(['cat', cronPath])).stdout, '# not ours\n');
  await onHost(['rm', '-f', cronPath, foreign]);
});

test('retention: with --keep 1, after two verified full chains the older chain is gone and the newest stays', async () => {
  const a = await cyrus('backup', '--kind', 'full', '--keep', '1');
  assert.equal(a.code, 0, a.stderr);
  assert.equal(a.json.server, 'cyrus');
  assert.equal(a.json.level, 'full');
  assert.equal(a.json.verified, true);
  const ai = await cyrus('backup', '--kind', 'incr', '--keep', '1');
  assert.equal(ai.code, 0, ai.stderr);
  assert.equal(ai.json.level, 'incr');
  let cat = await cyrus('backups');
  assert.equal(cat.code, 0, cat.stderr);
  const chainA = cat.json.chains.find((c: { full: { id: string } }) => c.full.id === a.json.archiveId);
  assert.deepEqual(chainA.points.map((p: { id: string }) => p.id), [a.json.archiveId, ai.json.archiveId]);

  const b = await cyrus('backup', '--kind', 'full', '--keep', '1');
  assert.equal(b.code, 0, b.stderr);
  assert.equal(b.json.verified, true);
  assert.deepEqual([...b.json.retention.removed].sort(), [a.json.archiveId, ai.json.archiveId].sort());
  cat = await cyrus('backups');
  assert.equal(cat.code, 0, cat.stderr);
  // the catalogue shape of the Dovecot backups: { account, dir, mirror, chains: [{ full, points }] }
  assert.equal(cat.json.server, 'cyrus');
  assert.equal(cat.json.account, null);
  assert.equal(cat.json.mirror, null);
  assert.equal(cat.json.dir, `${backupRoot}/cyrus`);
  assert.deepEqual(cat.json.chains.map((c: { full: { id: string } }) => c.full.id), [b.json.archiveId]);
  assert.deepEqual(cat.json.chains[0].points.map((p: { id: string }) => p.id), [b.json.archiveId]);
  const files = await archiveFiles();
  for (const gone of [a.json.archiveId, ai.json.archiveId]) assert.ok(!files.some((f) => f.startsWith(gone)), `${gone} left files: ${files.join(' ')}`);
  for (const s of ['.tar.gz', '.meta', '.snar', '.mailboxes.txt']) assert.ok(files.includes(`${b.json.archiveId}${s}`), `${b.json.archiveId}${s}`);
  // the new chain continues: an incr builds on the newest full
  const bi = await cyrus('backup');
  assert.equal(bi.code, 0, bi.stderr);
  assert.equal(bi.json.level, 'incr', 'mailops backup on a Cyrus host defaults to incr');
  assert.deepEqual(bi.json.retention.removed, []);
  cat = await cyrus('backups');
  assert.deepEqual(cat.json.chains[0].points.map((p: { id: string }) => p.id), [b.json.archiveId, bi.json.archiveId]);
});

test('dispatch on the server kind: backup, backups and mailboxes on a Cyrus host; a detect host with both servers asks for --server', async () => {
  const r = await mailops(['backup', '--host', 'sandbox-cyrus']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.server, 'cyrus');
  assert.ok(r.json.archiveId && r.json.verified, JSON.stringify(r.json));
  assert.ok(r.json.mailboxes >= 7);
  for (const [args, re] of [
    [['backup', 'alice'], /host-wide: give no ACCOUNT/],
    [['backup', '--kind', 'mirror'], /Dovecot backup kind.*--kind full or --kind incr/],
    [['backup', '--live'], /--live is for Dovecot/],
    [['backups', 'alice'], /host-wide: give no ACCOUNT/],
    [['mailboxes', 'alice', '--source', 'mirror'], /--source mirror is for Dovecot/],
    [['backup', '--server', 'dovecot'], /configured as a cyrus server/],
  ] as const) {
    const u = await cyrus(...args);
    assert.equal(u.code, 2, `${args.join(' ')}: ${u.stderr}`);
    assert.match(u.stderr, re);
  }

  const seeded = cyrusUser(env.info, 'alice').mailboxes;
  const expected = Object.fromEntries(Object.entries(seeded).map(([k, v]) => [k === 'INBOX' ? 'INBOX' : k.replace(/^INBOX\./, ''), v]));
  const mb = await cyrus('mailboxes', 'alice');
  assert.equal(mb.code, 0, mb.stderr);
  assert.deepEqual(Object.fromEntries(mb.json.map((m: { folder: string; messages: number }) => [m.folder, m.messages])), expected);
  assert.ok(mb.json.every((m: { account: string; toolName: string }) => m.account === 'alice' && m.toolName.startsWith('user.alice')));
  const folders = await cyrus('folders', 'alice');
  assert.equal(folders.code, 0, folders.stderr);
  assert.deepEqual(mb.json.map((m: { toolName: string }) => m.toolName).sort(), folders.json[0].mailboxes.map((m: { toolName: string }) => m.toolName).sort(), 'the same folders as `folders alice`');
  const human = await execFileP(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'mailboxes', 'alice', '--host', 'sandbox-cyrus', '--config', hostsFile], { cwd: ROOT });
  assert.match(human.stdout, /^\s+5 msgs .*\bINBOX\s+user\.alice$/m);
  assert.match(human.stdout, new RegExp(`^${Object.keys(expected).length} folders, ${Object.values(expected).reduce((x, y) => x + y, 0)} messages$`, 'm'));
  const nobody = await cyrus('mailboxes', 'nobody-here');
  assert.equal(nobody.code, 1, 'an account without folders');

  for (const args of [['backup'], ['backups'], ['mailboxes', 'alice'], ['schedule', 'status', '--kind', 'full']]) {
    const both = await mailops([...args, '--host', 'sandbox-both']);
    assert.equal(both.code, 2, `${args.join(' ')}: ${both.stderr}`);
    assert.match(both.stderr, /runs both Dovecot and Cyrus: say which one `mailops \S+` is for with --server dovecot or --server cyrus/);
    assert.equal(both.json.error, 'UsageError');
  }
  const chosen = await mailops(['mailboxes', 'alice', '--host', 'sandbox-both', '--server', 'cyrus']);
  assert.equal(chosen.code, 0, chosen.stderr);
  assert.deepEqual(chosen.json.map((m: { toolName: string }) => m.toolName), mb.json.map((m: { toolName: string }) => m.toolName));
  const chains = await mailops(['backups', '--host', 'sandbox-both', '--server', 'cyrus']);
  assert.equal(chains.code, 0, chains.stderr);
  assert.equal(chains.json.server, 'cyrus');
  assert.ok(chains.json.chains.some((c: { points: Array<{ id: string }> }) => c.points.some((p) => p.id === r.json.archiveId)), 'the same backup root as sandbox-cyrus');
});
