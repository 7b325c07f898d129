/**
 * Restore against the REAL sandbox Dovecot over the REAL sshd, through the real CLI (--json):
 * mirror made by the backup engine, messages expunged and a folder deleted, the plan lists exactly
 * those, apply, verify reports nothing missing, a second run adds nothing; new-folder restore + undo;
 * lazy_expunge's EXPUNGED; an archive chain's incremental point.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runBackup } from '../../../src/core/dovecot/backup';
import { assertNotPwned, cli, deliver, doveadm, liveMessages, reseed, setupEnv, sorted, type Env } from './restore-helpers';

const A = 'alice';
let env: Env;

function guidsOf(list: Array<{ guid: string }>): string[] {
  return sorted(list.map((m) => m.guid));
}

async function mirror(account: string): Promise<void> {
  const r = await runBackup(env.ctx, account, { kind: 'mirror' });
  assert.ok(r.ok, `mirror backup of ${account}: ${JSON.stringify(r)}`);
}

describe('dovecot restore (sandbox)', { timeout: 600_000 }, () => {
  before(async () => {
    env = await setupEnv('restore');
    await reseed('alice');
  });
  after(async () => {
    await env?.cleanup();
    assertNotPwned();
  });

  test('mirror: expunge + delete a folder, dry-run lists exactly those, apply, verify 0 missing, second run adds 0', async () => {
    await mirror(A);
    const before = await liveMessages(env, A);
    const inbox = before.filter((m) => m.mailbox === 'INBOX').sort((a, b) => a.uid - b.uid);
    const work = before.filter((m) => m.mailbox === 'Work Stuff');
    assert.ok(inbox.length >= 3 && work.length >= 1, `seeded INBOX and Work Stuff: ${JSON.stringify(before.map((m) => m.mailbox))}`);
    const expunged = [inbox[0]!, inbox[2]!];
    await doveadm(env, ['expunge', '-u', A, 'mailbox', 'INBOX', 'uid', `${expunged[0]!.uid},${expunged[1]!.uid}`]);
    await doveadm(env, ['mailbox', 'delete', '-u', A, 'Work Stuff']);
    const lost = [...expunged, ...work];

    const plan = await cli(env, ['restore', A, '--from', 'mirror', '--dry-run']);
    assert.equal(plan.code, 0, plan.stderr);
    assert.equal(plan.json.dryRun, true);
    assert.deepEqual(guidsOf(plan.json.plan.toRestore), guidsOf(lost), 'the plan restores exactly the lost messages');
    const stillLive = before.filter((m) => m.mailbox !== env.lazy && !lost.some((l) => l.guid === m.guid));
    assert.deepEqual(guidsOf(plan.json.plan.alreadyPresent), guidsOf(stillLive), 'everything else is already present');
    const sep = env.separator;
    assert.match(plan.json.plan.target.folder, new RegExp(`^Restored\\${sep}\\d{4}-\\d{2}-\\d{2} \\d{4}$`));
    for (const m of plan.json.plan.toRestore) {
      assert.ok(m.subject && m.from && m.size > 0 && m.uid > 0 && m.folder, JSON.stringify(m));
      assert.equal(m.destination, `${plan.json.plan.target.folder}${sep}${m.folder}`);
    }
    // a dry run changed nothing
    const notLazy = (m: { mailbox: string }) => m.mailbox !== env.lazy;
    assert.deepEqual(guidsOf((await liveMessages(env, A)).filter(notLazy)), guidsOf(before.filter((m) => notLazy(m) && !lost.includes(m))));

    const applied = await cli(env, ['restore', A, '--from', 'mirror', '--into-original', '--yes']);
    assert.equal(applied.code, 0, applied.stderr);
    assert.equal(applied.json.restored.length, lost.length);
    assert.deepEqual(applied.json.notConfirmed, []);
    assert.match(applied.json.opId, /^r-\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    const after1 = await liveMessages(env, A);
    for (const l of lost) {
      const back = after1.find((m) => m.guid === l.guid && m.mailbox !== env.lazy);
      assert.ok(back, `${l.subject} is back`);
      assert.equal(back.mailbox, l.mailbox, 'in its original folder');
      assert.ok(back.flags.includes('$Restored'), 'marked $Restored');
    }
    assert.equal(after1.filter((m) => m.mailbox !== env.lazy).length, before.filter((m) => m.mailbox !== env.lazy).length, 'nothing duplicated');

    const verify = await cli(env, ['verify', A]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.equal(verify.json.totals.missing, 0);
    assert.equal(verify.json.ok, true);

    const again = await cli(env, ['restore', A, '--from', 'mirror', '--into-original', '--yes']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.json.plan.toRestore.length, 0, 'the second run plans nothing');
    assert.equal(again.json.opId, null);
    assert.equal((await liveMessages(env, A)).length, after1.length, 'the second run adds nothing');

    const again2 = await cli(env, ['restore', A, '--from', 'mirror', '--yes']);
    assert.equal(again2.json.plan.toRestore.length, 0, 'a new-folder restore sees them present too');
  });

  test('selection into a new folder, then --undo expunges exactly those', async () => {
    const live = await liveMessages(env, A);
    const archive = live.filter((m) => m.mailbox === 'Archive').sort((a, b) => a.uid - b.uid);
    assert.ok(archive.length >= 2);
    const gone = archive[1]!;
    await doveadm(env, ['expunge', '-u', A, 'mailbox', 'Archive', 'guid', gone.guid]);
    // The mirror does not have it gone (no backup since): select it by subject text and by mailbox.
    const folder = `Restored${env.separator}it "q" $(x) ü`;
    const plan = await cli(env, ['restore', A, '--from', 'mirror', '--mailbox', 'Archive', '--subject', gone.subject.slice(-12), '--into', folder, '--dry-run']);
    assert.equal(plan.code, 0, plan.stderr);
    assert.deepEqual(guidsOf(plan.json.plan.toRestore), [gone.guid]);
    const applied = await cli(env, ['restore', A, '--from', 'mirror', '--mailbox', 'Archive', '--subject', gone.subject.slice(-12), '--into', folder, '--yes']);
    assert.equal(applied.code, 0, applied.stderr);
    const dest = `${folder}${env.separator}Archive`;
    assert.deepEqual(applied.json.restored, [{ folder: dest, guid: gone.guid }]);
    const inDest = (await liveMessages(env, A)).filter((m) => m.mailbox === dest);
    assert.deepEqual(inDest.map((m) => m.guid), [gone.guid]);
    assert.ok(inDest[0]!.flags.includes('$Restored'));

    const ops = await cli(env, ['restore', A, '--list-ops']);
    assert.ok(ops.json.some((o: { id: string }) => o.id === applied.json.opId), 'the op log lists the restore');

    const dry = await cli(env, ['restore', A, '--undo', applied.json.opId, '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(dry.json.expunge, [{ folder: dest, guid: gone.guid }]);
    assert.equal((await liveMessages(env, A)).filter((m) => m.mailbox === dest).length, 1, 'dry run expunged nothing');

    const noTty = await cli(env, ['restore', A, '--undo', applied.json.opId].filter((x) => x !== '--yes'));
    assert.equal(noTty.code, 2, 'without --yes and without a terminal the undo is refused');
    assert.equal((await liveMessages(env, A)).filter((m) => m.mailbox === dest).length, 1);

    const undo = await cli(env, ['restore', A, '--undo', applied.json.opId, '--yes']);
    assert.equal(undo.code, 0, undo.stderr);
    assert.deepEqual(undo.json.expunge, [{ folder: dest, guid: gone.guid }]);
    assert.equal((await liveMessages(env, A)).filter((m) => m.mailbox === dest).length, 0, 'undo expunged it');
    const undo2 = await cli(env, ['restore', A, '--undo', applied.json.opId, '--yes']);
    assert.equal(undo2.json.expunge.length, 0, 'a second undo finds nothing to do');
  });

  test('lazy_expunge: an expunged message comes back from EXPUNGED with $Restored', async () => {
    await deliver(env, A, 'INBOX', 'lazy expunge victim');
    const victim = (await liveMessages(env, A)).find((m) => m.subject === 'lazy expunge victim')!;
    await doveadm(env, ['expunge', '-u', A, 'mailbox', 'INBOX', 'guid', victim.guid]);
    const inLazy = (await liveMessages(env, A)).filter((m) => m.mailbox === env.lazy);
    assert.ok(inLazy.some((m) => m.guid === victim.guid), 'lazy_expunge kept a copy');

    const browse = await cli(env, ['messages', A, '--source', 'expunged']);
    assert.equal(browse.code, 0, browse.stderr);
    assert.ok(browse.json.some((m: { guid: string }) => m.guid === victim.guid));

    const plan = await cli(env, ['restore', A, '--from', 'expunged', '--guid', victim.guid, '--into-original', '--dry-run']);
    assert.equal(plan.code, 0, plan.stderr);
    assert.deepEqual(guidsOf(plan.json.plan.toRestore), [victim.guid]);
    // not in the mirror (delivered after it): the original folder falls back to INBOX
    assert.equal(plan.json.plan.toRestore[0].destination, 'INBOX');
    const applied = await cli(env, ['restore', A, '--from', 'expunged', '--guid', victim.guid, '--into-original', '--yes']);
    assert.equal(applied.code, 0, applied.stderr);
    const now = await liveMessages(env, A);
    const back = now.find((m) => m.guid === victim.guid && m.mailbox === 'INBOX');
    assert.ok(back, 'back in INBOX');
    assert.ok(back.flags.includes('$Restored'));
    assert.ok(!now.some((m) => m.guid === victim.guid && m.mailbox === env.lazy), 'moved out of EXPUNGED');
    const again = await cli(env, ['restore', A, '--from', 'expunged', '--guid', victim.guid, '--into-original', '--dry-run']);
    assert.equal(again.json.plan.toRestore.length, 0);
  });

  test('archive chain: restoring as of an incremental point brings back exactly the messages present then', async () => {
    await reseed('alice');
    // reseeding gave INBOX a new UIDVALIDITY: the stateful mirror needs a fresh start
    const full = await runBackup(env.ctx, A, { kind: 'full', fresh: true });
    assert.ok(full.ok && full.archive?.id, JSON.stringify(full));
    const live0 = await liveMessages(env, A);
    const inbox0 = live0.filter((m) => m.mailbox === 'INBOX').sort((a, b) => a.uid - b.uid);
    // changes between the full and the incremental: one expunged, one delivered
    await doveadm(env, ['expunge', '-u', A, 'mailbox', 'INBOX', 'guid', inbox0[0]!.guid]);
    await deliver(env, A, 'Work Stuff', 'arrived before the incremental');
    const incr = await runBackup(env.ctx, A, { kind: 'incr' });
    assert.ok(incr.ok && incr.archive?.id, JSON.stringify(incr));
    const atIncr = (await liveMessages(env, A)).filter((m) => m.mailbox !== env.lazy);
    // after the incremental: two more expunged, one more delivered
    const newer = atIncr.find((m) => m.subject === 'arrived before the incremental')!;
    await doveadm(env, ['expunge', '-u', A, 'mailbox', 'Work Stuff', 'guid', newer.guid]);
    await doveadm(env, ['expunge', '-u', A, 'mailbox', 'INBOX', 'guid', inbox0[1]!.guid]);
    await deliver(env, A, 'INBOX', 'arrived after the incremental');

    const set = `archive:${incr.archive!.id}`;
    const plan = await cli(env, ['restore', A, '--from', set, '--dry-run']);
    assert.equal(plan.code, 0, plan.stderr);
    const planned = [...plan.json.plan.toRestore, ...plan.json.plan.alreadyPresent];
    assert.deepEqual(guidsOf(planned), guidsOf(atIncr), 'the point holds exactly the messages present then');
    assert.deepEqual(guidsOf(plan.json.plan.toRestore), sorted([newer.guid, inbox0[1]!.guid]), 'and restores what went since');
    assert.ok(!planned.some((m: { guid: string }) => m.guid === inbox0[0]!.guid), 'not the message expunged before the point');

    const applied = await cli(env, ['restore', A, '--from', set, '--yes']);
    assert.equal(applied.code, 0, applied.stderr);
    assert.equal(applied.json.restored.length, 2);
    const again = await cli(env, ['restore', A, '--from', set, '--yes']);
    assert.equal(again.json.plan.toRestore.length, 0);
    // the temporary extraction is gone
    const left = await env.ctx.transport.run(['sh', '-c', 'ls -d "$1"/dovecot/*/mailops-extract.* 2>/dev/null || true', 'x', env.backupRoot]);
    assert.equal(left.stdout.trim(), '', 'extraction folders removed');
  });
});
