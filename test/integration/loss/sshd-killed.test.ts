/**
 * Must-show of issue 11, on the real sandbox host (d12 and d13): sshd killed in the middle of a mirror
 * backup and in the middle of a restore import (`scripts/sandbox stop sshd` kills the listener and every
 * per-connection sshd: all connections drop; the commands they started get no signal, having no pty).
 *
 * Each time: the dsync state file is byte-identical, the account's backup lock is free, no doveadm is left
 * running on the host, and the rerun completes with no duplicate (messages counted by GUID).
 *
 * To be sure the kill lands inside doveadm, doveadm is made to wait there: a process on the host holds the
 * dovecot-uidlist.lock of the folder doveadm must write (new mail in INBOX for the backup, the import's
 * destination folder for the restore), as Dovecot's own processes do while they work.
 *
 * Before the fix, doveadm went on after the connection died (it ignores SIGPIPE; nothing signals it): it
 * was still running when sshd was back, and the backup script then replaced the state file.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dovecotLayout } from '../../../src/core/backup/layout';
import { runBackup } from '../../../src/core/dovecot/backup';
import { applyRestore, planRestore } from '../../../src/core/dovecot/restore';
import { openSet } from '../../../src/core/dovecot/sets';
import { streamDoveadmJson } from '../../../src/core/dovecot/jsonStream';
import { sandboxCmd, sandboxHostId } from '../../support/sandbox';
import { doveadm, lockFreeOnHost, onHost, processesOnHost, reseed, setupLoss, sha256OnHost, waitUntil, type LossEnv } from './helpers';

let env: LossEnv;
const ACCOUNT = 'bob';
// The doveadm process itself (its argv[0]), not a shell whose script text names doveadm.
const DOVEADM = /^\s*\d+\s+\S*doveadm\s.*\b(backup|import)\b/;

before(async () => {
  env = await setupLoss('sshd');
  await reseed('dovecot', ACCOUNT);
});
after(async () => {
  await sandboxCmd('start', 'sshd').catch(() => undefined);
  await env?.cleanup();
  await reseed('dovecot', ACCOUNT).catch(() => undefined);
});

/** Hold DIR/dovecot-uidlist.lock on the host for SECONDS (detached: it outlives the command that starts it). */
async function holdUidlistLock(dir: string, seconds: number): Promise<void> {
  // Its own sh, so that the PID in the lock file is alive while it sleeps (Dovecot takes a dead one as stale).
  await onHost([
    'sh',
    '-c',
    'sh -c \'set -C; printf "%s:%s\\n" "$$" "$(uname -n)" >"$1/dovecot-uidlist.lock" && sleep "$2"; rm -f "$1/dovecot-uidlist.lock"\' mailops-test-holder "$1" "$2" </dev/null >/dev/null 2>&1 &',
    'x',
    dir,
    String(seconds),
  ]);
  await waitUntil('the uidlist lock to be held', async () => (await onHost(['sh', '-c', 'test -e "$1/dovecot-uidlist.lock" && echo yes || echo no', 'x', dir])).trim() === 'yes');
}

async function releaseUidlistLock(dir: string): Promise<void> {
  // The holder wrote its PID into the lock file.
  await onHost(['sh', '-c', 'p=$(cut -d: -f1 "$1/dovecot-uidlist.lock" 2>/dev/null); [ -n "$p" ] && kill "$p" 2>/dev/null; rm -f "$1/dovecot-uidlist.lock"', 'x', dir], () => true);
}

/** GUIDs of the messages in a mailbox of a set (overrides: {} for live). */
async function guids(overrides: Record<string, string>, mailbox: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of streamDoveadmJson(env.dovecot, ['fetch', '-u', ACCOUNT, 'guid', 'mailbox', mailbox], { overrides })) out.push(String(o.guid));
  return out;
}

async function stopSshdWhile(what: string, check: () => Promise<void>): Promise<void> {
  await sandboxCmd('stop', 'sshd');
  try {
    await check();
  } finally {
    await sandboxCmd('start', 'sshd');
  }
  void what;
}

describe(`sshd killed in the middle of a mirror backup and of a restore import (${sandboxHostId()})`, () => {
  test('must-show: sshd killed during doveadm backup: state byte-identical, lock free, no doveadm left, rerun without duplicates', async () => {
    const layout = dovecotLayout(env.dovecot.config, ACCOUNT);
    const first = await runBackup(env.dovecot, ACCOUNT, { kind: 'mirror' });
    assert.equal(first.exitCode, 0, JSON.stringify(first));
    const state = await sha256OnHost(layout.state);
    const inbox = (await doveadm(env, 'mailbox', 'path', '-u', ACCOUNT, '-t', 'mailbox', 'INBOX')).trim();
    // New mail for the next run to copy, dropped into new/: doveadm must take INBOX's uidlist lock to give it a UID.
    await onHost(['sh', '-c', 'for i in 1 2 3; do f="$1/new/$(date +%s).loss$i.$$.host"; printf "From: k@example.org\\nSubject: killed %s\\nMessage-ID: <loss.killed.%s@mailops.test>\\n\\nbody\\n" "$i" "$i" >"$f"; chown --reference="$1" "$f"; done', 'x', inbox]);
    // The lock is held on the MIRROR's INBOX: saving the new mail there takes it blocking (the scan of the
    // live INBOX only tries it, and would just not see the new mail).
    const reader = await openSet(env.dovecot, ACCOUNT, { kind: 'mirror' });
    let mirrorInbox: string;
    try {
      const o = Object.entries(reader.overrides).flatMap(([k, v]) => ['-o', `${k}=${v}`]);
      mirrorInbox = (await doveadm(env, ...o, 'mailbox', 'path', '-u', ACCOUNT, '-t', 'mailbox', 'INBOX')).trim();
    } finally {
      await reader.close();
    }
    assert.ok(mirrorInbox.startsWith(`${env.backupRoot}/`), `the mirror's INBOX is under the backup root: ${mirrorInbox}`);
    await holdUidlistLock(mirrorInbox, 120);
    const lines: string[] = [];
    let inDsync!: () => void;
    const started = new Promise<void>((r) => (inDsync = r));
    const run = runBackup(env.dovecot, ACCOUNT, { kind: 'mirror' }, {
      onLine: (l) => {
        lines.push(l);
        if (/ dsync start /.test(l)) inDsync();
      },
    });
    const outcome = run.then(
      (r) => ({ ok: true as const, r }),
      (e: unknown) => ({ ok: false as const, e }),
    );
    try {
      await started;
      await waitUntil('doveadm backup to run on the host', async () => (await processesOnHost(DOVEADM)).length > 0);
      await stopSshdWhile('backup', async () => {
        const o = await outcome;
        assert.equal(o.ok, false, `the run cannot end normally: its connection is gone: ${o.ok ? JSON.stringify(o.r) : ''}\n${lines.join('\n')}`);
        await waitUntil('no doveadm left on the host', async () => (await processesOnHost(DOVEADM)).length === 0, 30_000);
        await waitUntil('the lock to be free', () => lockFreeOnHost(layout.lock), 15_000);
        assert.equal(await sha256OnHost(layout.state), state, 'the state file is byte-identical');
        // This run's own log (named in its start line: two runs in one second would share a name's stamp).
        const logPath = /^MAILOPS \S+ run start .* log=(\S+)/.exec(lines.find((l) => / run start /.test(l)) ?? '')?.[1];
        if (!logPath?.startsWith(`${layout.logs}/`)) assert.fail(`the run named no log under ${layout.logs}: ${lines.join('\n')}`);
        const log = await onHost(['cat', '--', logPath]);
        assert.match(log, / run fail reason=connection-lost /, 'the run log says why it stopped');
        assert.doesNotMatch(log, / state ok replaced=yes/);
      });
    } finally {
      await releaseUidlistLock(mirrorInbox);
    }
    const again = await runBackup(env.dovecot, ACCOUNT, { kind: 'mirror' });
    assert.equal(again.exitCode, 0, JSON.stringify(again));
    assert.notEqual(await sha256OnHost(layout.state), state);
    const live = await guids({}, 'INBOX');
    const set = await openSet(env.dovecot, ACCOUNT, { kind: 'mirror' });
    try {
      const mirror = await guids(set.overrides, 'INBOX');
      assert.equal(new Set(mirror).size, mirror.length, 'no duplicate in the mirror');
      assert.deepEqual([...mirror].sort(), [...live].sort(), 'the mirror holds exactly the live INBOX');
    } finally {
      await set.close();
    }
  });

  test('must-show: sshd killed during the restore import: no doveadm left, lock free, state untouched, rerun restores each message once', async () => {
    await reseed('dovecot', ACCOUNT);
    const layout = dovecotLayout(env.dovecot.config, ACCOUNT);
    // The reseed gave the account new UIDVALIDITYs: start from no mirror (the first test's would refuse them).
    await onHost(['rm', '-rf', '--', layout.dir]);
    const b = await runBackup(env.dovecot, ACCOUNT, { kind: 'mirror' });
    assert.equal(b.exitCode, 0, JSON.stringify(b));
    const state = await sha256OnHost(layout.state);
    const source = 'Archive';
    const want = await guids({}, source);
    assert.ok(want.length >= 2);
    await doveadm(env, 'expunge', '-u', ACCOUNT, 'mailbox', source, 'all');
    const target = { mode: 'new-folder' as const, folder: 'LossKilled' };
    const plan = await planRestore(env.dovecot, ACCOUNT, { source: { kind: 'mirror' }, selection: { mailboxes: [source] }, target });
    assert.equal(plan.toRestore.length, want.length);
    // The import's destination exists and its uidlist is locked: the import waits inside doveadm.
    const dest = `LossKilled${env.info.dovecot.separator}${source}`;
    await doveadm(env, 'mailbox', 'create', '-u', ACCOUNT, dest);
    const destDir = (await doveadm(env, 'mailbox', 'path', '-u', ACCOUNT, '-t', 'mailbox', dest)).trim();
    await doveadm(env, 'mailbox', 'status', '-u', ACCOUNT, 'messages', dest);
    await holdUidlistLock(destDir, 120);
    const outcome = applyRestore(env.dovecot, plan).then(
      (r) => ({ ok: true as const, r }),
      (e: unknown) => ({ ok: false as const, e }),
    );
    try {
      await waitUntil('doveadm import to run on the host', async () => (await processesOnHost(/^\s*\d+\s+\S*doveadm\s.*\bimport\b/)).length > 0);
      await stopSshdWhile('import', async () => {
        const o = await outcome;
        assert.equal(o.ok, false, 'the restore cannot end normally: its connection is gone');
        await waitUntil('no doveadm left on the host', async () => (await processesOnHost(DOVEADM)).length === 0, 30_000);
        await waitUntil('the lock (held shared by the open set) to be free', () => lockFreeOnHost(layout.lock), 15_000);
        assert.equal(await sha256OnHost(layout.state), state, 'the state file is byte-identical');
      });
    } finally {
      await releaseUidlistLock(destDir);
    }
    const again = await planRestore(env.dovecot, ACCOUNT, { source: { kind: 'mirror' }, selection: { mailboxes: [source] }, target });
    const done = await applyRestore(env.dovecot, again);
    assert.equal(done.notConfirmed.length, 0);
    const restored = await guids({}, dest);
    assert.equal(new Set(restored).size, restored.length, 'no duplicate in the destination');
    assert.deepEqual([...restored].sort(), [...want].sort(), 'every message restored exactly once');
    assert.ok(await lockFreeOnHost(layout.lock));
  });
});
