/**
 * `mailops verify` against the REAL sandbox Dovecot over the REAL sshd: a fresh mirror verifies clean;
 * mail that arrived after the backup is reported but not a failure; mail older than the backup that
 * the backup lacks fails (exit 1) and is named; mail expunged since is "extra"; moved mail is "moved".
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runBackup } from '../../../src/core/dovecot/backup';
import { dovecotLayout } from '../../../src/core/backup/layout';
import { assertNotPwned, cli, deliver, doveadm, liveMessages, reseed, setupEnv, type Env } from './restore-helpers';

const A = 'alice';
let env: Env;

describe('dovecot verify (sandbox)', { timeout: 600_000 }, () => {
  before(async () => {
    env = await setupEnv('verify');
    await reseed('alice');
    const r = await runBackup(env.ctx, A, { kind: 'mirror', fresh: true });
    assert.ok(r.ok, JSON.stringify(r));
  });
  after(async () => {
    await env?.cleanup();
    assertNotPwned();
  });

  test('a fresh mirror: nothing missing, nothing extra, exit 0', async () => {
    const r = await cli(env, ['verify', A]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const live = (await liveMessages(env, A)).filter((m) => m.mailbox !== env.lazy);
    assert.equal(r.json.totals.live, live.length);
    assert.equal(r.json.totals.backup, live.length);
    assert.equal(r.json.totals.missing, 0);
    assert.equal(r.json.totals.extra, 0);
    assert.equal(r.json.ok, true);
    assert.ok(r.json.backupTime, 'the backup time is known (mirror state)');
    assert.deepEqual(r.json.skipped.map((s: { mailbox: string }) => s.mailbox), [env.lazy]);
  });

  test('after the backup: new mail is reported as newer (not a failure), expunged as extra, moved as moved', async () => {
    await deliver(env, A, 'Work Stuff', 'verify: arrived after the backup');
    const live = await liveMessages(env, A);
    const inbox = live.filter((m) => m.mailbox === 'INBOX').sort((a, b) => a.uid - b.uid);
    const gone = inbox[0]!;
    await doveadm(env, ['expunge', '-u', A, 'mailbox', 'INBOX', 'guid', gone.guid]);
    const archive = live.filter((m) => m.mailbox === 'Archive').sort((a, b) => a.uid - b.uid);
    await doveadm(env, ['move', '-u', A, 'Bücher', 'mailbox', 'Archive', 'guid', archive[0]!.guid]);

    const r = await cli(env, ['verify', A]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const by = Object.fromEntries(r.json.mailboxes.map((m: { mailbox: string }) => [m.mailbox, m]));
    assert.equal(by['Work Stuff'].missing, 1);
    assert.equal(by['Work Stuff'].missingNewer, 1);
    assert.equal(by['Work Stuff'].missingOlder, 0);
    assert.equal(by['Work Stuff'].missingSamples[0].subject, 'verify: arrived after the backup');
    assert.equal(by.INBOX.extra, 1);
    assert.equal(by.INBOX.extraSamples[0].guid, gone.guid);
    assert.equal(by['Bücher'].moved, 1, 'moved to Bücher');
    assert.equal(by['Bücher'].missing, 0);
    assert.equal(by.Archive.extra, 0, 'a moved message is not extra where it was');
    assert.equal(r.json.ok, true);
  });

  test('the backup lacks mail older than the run: exit 1, named', async () => {
    // Take one old message out of the mirror, as an incomplete backup would.
    const live = await liveMessages(env, A);
    const victim = live.filter((m) => m.mailbox === 'Archive/2023')[0]!;
    const mirror = dovecotLayout(env.host, A).mirror;
    const rm = await env.ctx.transport.run(['sh', '-c', 'find -L "$1" -type f -name "$2*" -print -delete', 'x', mirror, victim.guid]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.ok(rm.stdout.trim(), 'the message file was in the mirror');

    // Deleting the mirror's hard link moved the live file's ctime (= maildir save date) to now, so take
    // the backup as made a minute from now, without a grace window: the message is older than that.
    const asOf = new Date(Date.now() + 60_000).toISOString();
    const r = await cli(env, ['verify', A, '--grace', '0', '--as-of', asOf]);
    assert.equal(r.code, 1, `exit 1: the backup lacks older mail: ${JSON.stringify({ backupTime: r.json?.backupTime, boxes: r.json?.mailboxes?.filter((m: { missing: number }) => m.missing) }, null, 1)}`);
    assert.equal(r.json.ok, false);
    const box = r.json.mailboxes.find((m: { mailbox: string }) => m.mailbox === 'Archive/2023');
    assert.equal(box.missingOlder, 1);
    assert.equal(box.missingSamples[0].guid, victim.guid);
    assert.equal(box.missingSamples[0].subject.length > 0, true);
    assert.equal(r.json.backupTime, asOf);
    // against the mirror's own time, the touched file counts as arriving after the run: reported, not failed
    const lenient = await cli(env, ['verify', A]);
    const box2 = lenient.json.mailboxes.find((m: { mailbox: string }) => m.mailbox === 'Archive/2023');
    assert.equal(box2.missing, 1);
    assert.equal(lenient.code, 0);
  });

  test('verify without a backup is an error that says what to do', async () => {
    const r = await cli(env, ['verify', 'carol']);
    assert.equal(r.code, 1);
    assert.match(r.json.message, /no backup mirror of carol/);
    assert.match(r.json.hint, /mailops backup/);
  });
});
