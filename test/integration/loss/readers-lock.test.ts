/**
 * Issue 11.10, on the real sandbox host (d12 and d13).
 *
 * Readers without a lock: before the fix, a restore could open an archive chain (or the mirror) while a
 * backup run's retention deleted it. Now an open set holds the account's lock shared, and the run (which
 * holds it exclusive) waits, logging it, until the set is closed.
 *
 * Order by the recorded sequence: before the fix retention sorted archives by the time in their names, so
 * a full made while the host's clock was set back looked like the oldest and was the one deleted. The
 * clock is "set back" through the test-only stampForTest option (the archive gets an old name; faketime is
 * not available on the hosts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dovecotLayout } from '../../../src/core/backup/layout';
import { parseStepLine } from '../../../src/core/backup/runlog';
import { runBackup } from '../../../src/core/dovecot/backup';
import { openSet } from '../../../src/core/dovecot/sets';
import { readCatalogue } from '../../../src/core/dovecot/catalogue';
import { sandboxHostId } from '../../support/sandbox';
import { archiveFiles, lockFreeOnHost, reseed, setupLoss, type LossEnv } from './helpers';

let env: LossEnv;

before(async () => {
  env = await setupLoss('readers');
  await reseed('dovecot', 'carol');
});
after(async () => {
  await env?.cleanup();
});

const time = (lines: string[], re: RegExp): number => {
  const l = lines.find((x) => re.test(x));
  assert.ok(l, `no line ${re} in\n${lines.join('\n')}`);
  return Date.parse(parseStepLine(l)!.time);
};

describe(`11.10 readers hold the lock; retention goes by recorded sequence (${sandboxHostId()})`, () => {
  test('11.10 a restore holding an archive set open: the backup with retention waits (logged) and the chain survives until the set is closed', async () => {
    const layout = dovecotLayout(env.dovecot.config, 'carol');
    const a = await runBackup(env.dovecot, 'carol', { kind: 'full', keep: 0 });
    assert.equal(a.exitCode, 0, JSON.stringify(a));
    const b = await runBackup(env.dovecot, 'carol', { kind: 'full', keep: 0 });
    assert.equal(b.exitCode, 0, JSON.stringify(b));
    const oldFiles = (await archiveFiles(layout.archives)).filter((f) => f.startsWith(`${a.archive!.id}.`));
    assert.ok(oldFiles.includes(`${a.archive!.id}.tar.gz`), oldFiles.join(' '));

    const set = await openSet(env.dovecot, 'carol', { kind: 'archive', archiveId: a.archive!.id });
    let closedAt = 0;
    const lines: string[] = [];
    let sawWait!: () => void;
    const waiting = new Promise<void>((r) => (sawWait = r));
    const run = runBackup(env.dovecot, 'carol', { kind: 'full', keep: 1 }, {
      onLine: (l) => {
        lines.push(l);
        if (/ lock wait /.test(l)) sawWait();
      },
    });
    try {
      let finished = false;
      void run.then(
        () => (finished = true),
        () => (finished = true),
      );
      await Promise.race([waiting, run]);
      assert.equal(finished, false, `the backup ran while the set was open:\n${lines.join('\n')}`);
      // Held for a while: the run is still waiting and the chain the reader reads is all there.
      await new Promise((r) => setTimeout(r, 3000));
      assert.ok(!lines.some((l) => / retention /.test(l)), 'no retention while the set is open');
      const during = (await archiveFiles(layout.archives)).filter((f) => f.startsWith(`${a.archive!.id}.`));
      assert.deepEqual(during, oldFiles);
      assert.equal(await lockFreeOnHost(layout.lock), false, 'the lock is held');
    } finally {
      closedAt = Date.now();
      await set.close();
    }
    const r = await run;
    assert.equal(r.exitCode, 0, JSON.stringify(r));
    assert.equal(r.waited, true, 'the result says it waited');
    assert.match(lines.find((l) => / lock wait /.test(l)) ?? '', /meaning=.*reader/);
    const removedAt = time(lines, new RegExp(` retention info removed=${a.archive!.id} `));
    assert.ok(removedAt >= closedAt - 1000, `the chain went only after the set was closed (${removedAt - closedAt} ms)`);
    assert.ok(time(lines, / lock ok /) >= closedAt - 1000, 'the run took the lock only after the reader gave it back');
    const left = await archiveFiles(layout.archives);
    assert.ok(!left.some((f) => f.startsWith(`${a.archive!.id}.`)), 'keep 1: the old chain went once the reader was done');
    assert.ok(await lockFreeOnHost(layout.lock), 'the lock is free at the end');
  });

  test('11.10 a mirror opened for reading makes a mirror run wait until it is closed', async () => {
    const layout = dovecotLayout(env.dovecot.config, 'carol');
    const set = await openSet(env.dovecot, 'carol', { kind: 'mirror' });
    const lines: string[] = [];
    const run = runBackup(env.dovecot, 'carol', { kind: 'mirror', lockTimeout: 60 }, { onLine: (l) => lines.push(l) });
    await new Promise((r) => setTimeout(r, 3000));
    assert.ok(lines.some((l) => / lock wait /.test(l)), lines.join('\n'));
    assert.ok(!lines.some((l) => / dsync start /.test(l)), 'no sync of the mirror while it is read');
    const closedAt = Date.now();
    await set.close();
    const r = await run;
    assert.equal(r.exitCode, 0, JSON.stringify(r));
    assert.ok(time(lines, / dsync start /) >= closedAt - 1000);
    assert.ok(await lockFreeOnHost(layout.lock));
  });

  test('11.10 a full made while the clock is set back is not deleted as the oldest: retention goes by the recorded sequence', async () => {
    const layout = dovecotLayout(env.dovecot.config, 'carol');
    const before = await readCatalogue(env.dovecot, 'carol');
    const x = await runBackup(env.dovecot, 'carol', { kind: 'full', keep: 0 });
    assert.equal(x.exitCode, 0, JSON.stringify(x));
    const y = await runBackup(env.dovecot, 'carol', { kind: 'full', keep: 1, stampForTest: '20200101T000000Z' });
    assert.equal(y.exitCode, 0, JSON.stringify(y));
    assert.equal(y.archive?.id, '20200101T000000Z-full', 'the archive is named with the clock set back');
    assert.ok((y.archive?.seq ?? 0) > (x.archive?.seq ?? Infinity), 'its recorded sequence is still the highest');
    const ids = (await archiveFiles(layout.archives)).filter((f) => f.endsWith('.meta') && f !== 'running.meta').map((f) => f.slice(0, -5));
    assert.deepEqual(ids, [y.archive!.id], 'the newest full (by sequence) is kept, the older ones go');
    const cat = await readCatalogue(env.dovecot, 'carol');
    assert.deepEqual(cat.chains.map((c) => c.full.id), [y.archive!.id]);
    assert.ok(before.chains.length >= 1);
    // The next full (clock right again) is newer by sequence too: the set-back one goes, not it.
    const z = await runBackup(env.dovecot, 'carol', { kind: 'full', keep: 1 });
    assert.equal(z.exitCode, 0, JSON.stringify(z));
    const after = (await readCatalogue(env.dovecot, 'carol')).chains.map((c) => c.full.id);
    assert.deepEqual(after, [z.archive!.id]);
  });
});
