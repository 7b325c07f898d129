/**
 * Dovecot backups against the REAL sandbox (scripts/sandbox: sshd on 127.0.0.1:2222, Dovecot 2.3 with
 * LAYOUT=fs, lazy_expunge) over the REAL SSH transport. Destructive steps use the account bob (reseeded first).
 * Backups go to a fresh backupRoot under /var/tmp for this run.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createTransport } from '../../../src/core/transport/index';
import type { HostContext } from '../../../src/core/hosts/context';
import { parseHostList, type HostConfig } from '../../../src/core/hosts/model';
import { dovecotLayout } from '../../../src/core/backup/layout';
import { runBackup, type BackupOptions } from '../../../src/core/dovecot/backup';
import { readCatalogue, whichArchiveHolds } from '../../../src/core/dovecot/catalogue';
import { listArchiveChain, extractChainPoint } from '../../../src/core/dovecot/archive';
import { parseStepLine } from '../../../src/core/backup/runlog';
import { sandboxHostId } from '../../support/sandbox';

const REPO = join(__dirname, '../../..');
const SANDBOX = join(REPO, 'scripts/sandbox');
let status: { dir: string; dovecot: { config: string; accounts: Array<{ name: string; slug: string; mailboxes: Record<string, number> }> } };
let ctx: HostContext;
let conf: string;
const root = `/var/tmp/mailops-backup-it-${process.pid}`;

function sandbox(...args: string[]): string {
  return execFileSync('bash', [SANDBOX, '--host', sandboxHostId(), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

async function sh(argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return ctx.transport.run(argv);
}
async function doveadm(...args: string[]) {
  const r = await sh(['doveadm', '-c', conf, ...args]);
  assert.equal(r.code, 0, `doveadm ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
async function sha256(path: string): Promise<string> {
  const r = await sh(['sha256sum', path]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split(' ')[0]!;
}
function time0(lines: string[], re: RegExp): number {
  const l = lines.find((x) => re.test(x));
  assert.ok(l, `no line ${re}`);
  return Date.parse(parseStepLine(l)!.time);
}
function backup(account: string, o: BackupOptions, lines?: string[]) {
  return runBackup(ctx, account, o, { onLine: (l) => lines?.push(l) });
}

before(async () => {
  const st = JSON.parse(sandbox('status', '--json'));
  if (!st.up) sandbox('up');
  status = JSON.parse(sandbox('status', '--json'));
  conf = status.dovecot.config;
  sandbox('reseed', 'dovecot', 'bob');
  const hosts = parseHostList(JSON.parse(readFileSync(join(status.dir, 'hosts.json'), 'utf8')));
  const h = hosts.find((x) => x.server === 'dovecot')!;
  const config: HostConfig = { ...h, dovecot: { ...h.dovecot, backupRoot: root } };
  const trust = mkdtempSync(join(tmpdir(), 'mo-it-trust-'));
  ctx = {
    config,
    transport: createTransport(config, {
      prompter: { confirmHostKey: async () => false, askSecret: async () => undefined },
      trustStorePath: join(trust, 'known_hosts'),
    }),
  };
  rmSync('/tmp/mailops-pwned', { force: true });
});

after(async () => {
  await ctx?.transport.close();
  rmSync(root, { recursive: true, force: true });
});

describe('Dovecot backup over SSH (sandbox)', () => {
  test('mirror, expunge, incremental mirror: state replaced, catalogue decodes per-mailbox counts', async () => {
    const layout = dovecotLayout(ctx.config, 'bob');
    const seeded = status.dovecot.accounts.find((a) => a.name === 'bob')!.mailboxes;
    const r1 = await backup('bob', { kind: 'mirror' });
    assert.equal(r1.exitCode, 0, JSON.stringify(r1));
    assert.equal(r1.inSync, true);
    assert.equal(r1.stateReplaced, true);
    const sha1 = await sha256(layout.state);
    const cat1 = await readCatalogue(ctx, 'bob');
    const inbox1 = cat1.mirror!.mailboxes.find((m) => m.mailbox === 'INBOX')!;
    assert.equal(inbox1.messageCount, seeded.INBOX);
    for (const [name, count] of Object.entries(seeded)) {
      assert.equal(cat1.mirror!.mailboxes.find((m) => m.mailbox === name)?.messageCount, count, `mailbox ${name}`);
    }
    const uid = (await doveadm('-f', 'flow', 'search', '-u', 'bob', 'mailbox', 'INBOX', 'all')).trim().split('\n')[0]!.split(' ')[1]!;
    await doveadm('expunge', '-u', 'bob', 'mailbox', 'INBOX', 'uid', uid);
    const lines: string[] = [];
    const r2 = await backup('bob', { kind: 'mirror' }, lines);
    assert.ok(r2.ok, JSON.stringify(r2));
    assert.equal(r2.stateReplaced, true);
    assert.ok(lines.some((l) => /^MAILOPS \S+ dsync start attempt=1 mode=incremental/.test(l)), 'second run is incremental');
    assert.notEqual(await sha256(layout.state), sha1, 'state file replaced');
    const cat2 = await readCatalogue(ctx, 'bob');
    const inbox2 = cat2.mirror!.mailboxes.find((m) => m.mailbox === 'INBOX')!;
    assert.equal(inbox2.messageCount, seeded.INBOX! - 1);
    assert.equal(inbox2.guid, inbox1.guid);
    assert.ok(inbox2.lastCommonModseq > inbox1.lastCommonModseq);
    assert.ok(cat2.mirror!.stateMtime);
    // the log on the host holds the same step lines as the stream
    const log = await sh(['cat', r2.log!]);
    assert.deepEqual(log.stdout.trimEnd().split('\n'), lines.filter((l) => l !== ''));
  });

  test('full, incremental, differential archives: chain with levels, which point holds a mailbox, extraction', async () => {
    const full = await backup('bob', { kind: 'full' });
    assert.equal(full.exitCode, 0, JSON.stringify(full));
    assert.equal(full.archive?.level, 'full');
    assert.equal(full.archive?.verified, true);
    const tFull = new Date();
    await new Promise((r) => setTimeout(r, 1100));
    await doveadm('mailbox', 'create', '-u', 'bob', 'Later Folder');
    await sh(['sh', '-c', 'printf "From: a@example.org\\nSubject: later\\n\\nbody\\n" | doveadm -c "$1" save -u bob -m "Later Folder"', 'x', conf]);
    const incr = await backup('bob', { kind: 'incr' });
    assert.equal(incr.archive?.level, 'incr', JSON.stringify(incr));
    const tIncr = new Date();
    await new Promise((r) => setTimeout(r, 1100));
    const diff = await backup('bob', { kind: 'diff' });
    assert.equal(diff.archive?.level, 'diff', JSON.stringify(diff));
    const chains = await listArchiveChain(ctx, 'bob');
    const chain = chains.find((c) => c.full.id === full.archive!.id)!;
    assert.deepEqual(chain.points.map((p) => p.level), ['full', 'incr', 'diff']);
    assert.deepEqual(chain.points.map((p) => p.id), [full.archive!.id, incr.archive!.id, diff.archive!.id]);
    assert.equal(chain.points[1]!.base, full.archive!.id);
    assert.equal(chain.points[2]!.base, full.archive!.id);
    const cat = await readCatalogue(ctx, 'bob');
    const atFull = whichArchiveHolds(cat, 'Later Folder', tFull);
    assert.equal(atFull.point, null, 'Later Folder did not exist at the time of the full');
    const atIncr = whichArchiveHolds(cat, 'Later Folder', tIncr);
    assert.equal(atIncr.point?.id, incr.archive!.id);
    assert.deepEqual(atIncr.extract.map((p) => p.id), [full.archive!.id, incr.archive!.id]);
    assert.equal(whichArchiveHolds(cat, 'Work Stuff', tFull).point?.id, full.archive!.id);
    // extraction of the incremental point: full then incr; the folder and its message are there
    const x = await extractChainPoint(ctx, 'bob', incr.archive!.id);
    assert.deepEqual(x.extracted.map((p) => p.id), [full.archive!.id, incr.archive!.id]);
    const count = await sh(['sh', '-c', 'find "$1/Later Folder" -path "*/cur/*" -o -path "*/new/*" | wc -l', 'x', x.maildir]);
    assert.equal(count.stdout.trim(), '1');
    const inboxCount = await sh(['sh', '-c', 'ls "$1/cur" "$1/new" 2>/dev/null | grep -c "^[0-9]"', 'x', x.maildir]);
    assert.equal(Number(inboxCount.stdout.trim()), cat.mirror!.mailboxes.find((m) => m.mailbox === 'INBOX')!.messageCount);
    await sh(['rm', '-rf', x.maildir]);
  });

  test('exit 75 (mirror not writable by the mail user) keeps the state file byte-identical', async () => {
    const layout = dovecotLayout(ctx.config, 'bob');
    await backup('bob', { kind: 'mirror' });
    const target = (await sh(['readlink', layout.mirror])).stdout.trim();
    const dir = `${layout.dir}/${target}`;
    await sh(['sh', '-c', 'printf "From: a@example.org\\nSubject: pending\\n\\nbody\\n" | doveadm -c "$1" save -u bob', 'x', conf]);
    const before = await sha256(layout.state);
    await sh(['chown', 'root:root', dir]);
    await sh(['chmod', '0500', dir]);
    try {
      const r = await backup('bob', { kind: 'mirror' });
      assert.equal(r.doveadmExit, 75, JSON.stringify(r));
      assert.equal(r.exitCode, 1);
      assert.equal(r.stateReplaced, false);
      assert.equal(r.outcome, 'not-writable');
      assert.ok(r.warnings.some((w) => w.kind === 'permission-denied'));
      assert.equal(await sha256(layout.state), before);
    } finally {
      await sh(['chown', '8:8', dir]);
      await sh(['chmod', '0700', dir]);
    }
  });

  test('two concurrent runs for one account never overlap: the second waits (or skips with noWait)', async () => {
    // Make run 1 slow, deterministically: a message dropped into new/ must get a UID, which needs INBOX's
    // dovecot-uidlist.lock; a live process holds that dotlock for 3 s, so run 1's dsync waits inside its lock.
    const maildir = (status.dovecot.accounts.find((a) => a.name === 'bob') as unknown as { maildir: string }).maildir;
    await sh(['sh', '-c', 'f="$1/new/$(date +%s).mailops-it.$$.vm"; printf "From: a@example.org\nSubject: dropped\n\nx\n" >"$f"; chown 8:8 "$f"', 'x', maildir]);
    const holder = ctx.transport.spawn(['sh', '-c', 'set -C; printf "%s:%s\n" "$$" "$(uname -n)" >"$1/dovecot-uidlist.lock" && sleep 3; rm -f "$1/dovecot-uidlist.lock"', 'x', maildir]);
    await new Promise((r) => setTimeout(r, 300));
    let startSecond!: () => void;
    const firstInside = new Promise<void>((r) => (startSecond = r));
    const l1: string[] = [];
    const run1 = runBackup(ctx, 'bob', { kind: 'full' }, { onLine: (l) => { l1.push(l); if (/ dsync start /.test(l)) startSecond(); } });
    await firstInside;
    const l2: string[] = [];
    const l3: string[] = [];
    const [r1, r2, r3] = await Promise.all([run1, backup('bob', { kind: 'mirror' }, l2), backup('bob', { kind: 'mirror', noWait: true }, l3)]);
    await holder.exit;
    assert.ok(time0(l1, / run result /) - time0(l1, / dsync start /) >= 1500, 'run 1 was slowed down by the held uidlist lock');
    assert.ok(r1.ok && r2.ok, JSON.stringify([r1, r2]));
    const time = (lines: string[], re: RegExp) => {
      const l = lines.find((x) => re.test(x));
      assert.ok(l, `no line ${re}`);
      return Date.parse(parseStepLine(l)!.time);
    };
    const end1 = time(l1, / run result /);
    const locked1 = time(l1, / lock ok /);
    // whichever of the two others got there while run 1 held the lock
    assert.ok(r2.waited, 'the second run logged that it waited');
    assert.ok(l2.some((l) => / lock wait timeout=300 /.test(l)));
    assert.ok(time(l2, / lock ok /) >= end1, 'the second run took the lock only after the first ended');
    assert.ok(time(l2, / lock wait /) >= locked1);
    // the no-wait run skipped (exit 3) or, if it came after both, ran alone
    if (r3.skipped) assert.ok(l3.some((l) => / lock skip reason=held/.test(l)));
    else assert.ok(time(l3, / lock ok /) >= end1);
    const log2 = await sh(['cat', r2.log!]);
    assert.match(log2.stdout, / lock wait /, 'the wait is in the host log too');
  });

  test('the hostile-named account and folders back up; nothing is executed', async () => {
    const hostile = status.dovecot.accounts.find((a) => a.slug === 'hostile')!;
    // Other suites restore into this account; start from the seeded state the counts below describe.
    sandbox('reseed', 'dovecot', 'hostile');
    const r = await backup(hostile.name, { kind: 'full' });
    assert.equal(r.exitCode, 0, JSON.stringify(r));
    const cat = await readCatalogue(ctx, hostile.name);
    for (const [name, count] of Object.entries(hostile.mailboxes)) {
      assert.equal(cat.mirror!.mailboxes.find((m) => m.mailbox === name)?.messageCount, count, `mailbox ${name}`);
      assert.ok(cat.chains[0]!.full.folders.some((f) => f.mailbox === name), `archive holds ${name}`);
    }
    assert.equal(existsSync('/tmp/mailops-pwned'), false);
    const pwned = await sh(['sh', '-c', 'test -e /tmp/mailops-pwned && echo yes || echo no']);
    assert.equal(pwned.stdout.trim(), 'no');
  });

  test('exit 65 after a UIDVALIDITY change; --fresh makes a new mirror and keeps the old one', async () => {
    const layout = dovecotLayout(ctx.config, 'bob');
    await backup('bob', { kind: 'mirror' });
    const oldTarget = (await sh(['readlink', layout.mirror])).stdout.trim();
    const before = await sha256(layout.state);
    await doveadm('mailbox', 'update', '-u', 'bob', '--uid-validity', '12345', 'INBOX');
    const r = await backup('bob', { kind: 'mirror' });
    assert.equal(r.doveadmExit, 65, JSON.stringify(r));
    assert.equal(r.outcome, 'uidvalidity-changed');
    assert.match(r.action ?? '', /--fresh/);
    assert.equal(await sha256(layout.state), before);
    await new Promise((res) => setTimeout(res, 1100));
    const f = await backup('bob', { kind: 'mirror', fresh: true });
    assert.equal(f.exitCode, 0, JSON.stringify(f));
    assert.equal(f.oldMirror, `${layout.dir}/${oldTarget}`);
    const newTarget = (await sh(['readlink', layout.mirror])).stdout.trim();
    assert.notEqual(newTarget, oldTarget);
    const kept = await sh(['test', '-d', `${layout.dir}/${oldTarget}`]);
    assert.equal(kept.code, 0, 'old mirror kept');
    assert.equal(await sha256(`${layout.dir}/${oldTarget}.state`), before, 'old state kept beside it');
    const again = await backup('bob', { kind: 'mirror' });
    assert.equal(again.exitCode, 0);
    sandbox('reseed', 'dovecot', 'bob');
  });
});
