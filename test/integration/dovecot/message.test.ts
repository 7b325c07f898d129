/**
 * Reading one Dovecot message (src/core/dovecot/message.ts) against the REAL sandbox over the REAL SSH transport:
 * live, from a mirror and an archive point made here (runBackup into a private backupRoot), from EXPUNGED after an
 * expunge; the shell-metacharacter folders; the size cap on a large message delivered with doveadm save; the CLI
 * face (`mailops messages … --show`) and the restore preview's engine binding. Only the account carol is changed
 * (reseeded first); the hostile account is only read.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { dovecotLayout } from '../../../src/core/backup/layout';
import { runBackup } from '../../../src/core/dovecot/backup';
import { DEFAULT_MAX_BYTES, MessageNotFoundError, readMessage, type DovecotMessage } from '../../../src/core/dovecot/message';
import { listMessages } from '../../../src/core/dovecot/messages';
import { withSet } from '../../../src/core/dovecot/sets';
import type { BackupSetRef } from '../../../src/core/dovecot/types';
import { dovecotEngine } from '../../../src/extension/preview/sources/dovecotEngine';
import { sandboxCmd, seedMessageId } from '../../support/sandbox';
import { PWNED, cli, doveadm, setupEnv, type Env } from './restore-helpers';

const A = 'carol';
const SHELLMETA = "$(touch $(printf '\\57tmp\\57mailops-pwned'));`id`";
let env: Env;

/** UID of a seeded message (by its Message-ID) in a mailbox of a set. */
async function uidOf(ref: BackupSetRef, mailbox: string | undefined, messageId: string, account = A): Promise<{ uid: number; guid: string; mailbox: string }> {
  return withSet(env.ctx, account, ref, {}, async (set) => {
    const box = set.onlyMailbox ?? mailbox!;
    for await (const m of listMessages(env.ctx, account, box, { overrides: set.overrides })) {
      if (m.messageId === messageId) return { uid: m.uid, guid: m.guid, mailbox: box };
    }
    throw new Error(`no ${messageId} in ${box} of ${account} (${set.label})`);
  });
}

/** The seed's multipart/alternative message 2 of a folder, as every set must read it. */
function assertSeedMultipart(m: DovecotMessage, folderSlug: string): void {
  assert.equal(m.account, A);
  assert.equal(m.subject, `[${folderSlug}] message #2 for ${A}`);
  assert.equal(m.from, 'Sender 2 <sender2@example.test>');
  assert.equal(m.to, `${A} <${A}@sandbox.mailops.test>`);
  assert.equal(m.messageId, seedMessageId(A, folderSlug, 2));
  assert.equal(m.text, `Hello ${A},\n\nthis is message 2 of folder ${folderSlug} (plain part).\nSchöne Grüße\n`);
  assert.equal(m.html, `<html><body><p>Hello ${A},</p><p>this is message <b>2</b> of folder <i>${folderSlug}</i> (HTML part).</p></body></html>\n`);
  assert.deepEqual(m.attachments, []);
  assert.equal(m.truncated, false);
  assert.equal(m.totalSize, m.size);
  assert.match(m.guid, /\S/);
}

before(async () => {
  env = await setupEnv('message');
  await sandboxCmd('reseed', 'dovecot', A);
  rmSync(PWNED, { force: true });
});

after(async () => {
  await env?.cleanup();
});

describe('readMessage on the sandbox', () => {
  let liveWork: DovecotMessage;

  test('live: the seed multipart message (text and HTML parts) and the RFC 2047 subject', async () => {
    const id = await uidOf({ kind: 'live' }, 'Work Stuff', seedMessageId(A, 'work-stuff', 2));
    liveWork = await readMessage(env.ctx, A, { kind: 'live' }, { mailbox: 'Work Stuff', uid: id.uid });
    assertSeedMultipart(liveWork, 'work-stuff');
    assert.equal(liveWork.set, 'live');
    assert.equal(liveWork.host, 'sandbox-dovecot');
    assert.equal(liveWork.mailbox, 'Work Stuff');
    assert.equal(liveWork.guid, id.guid);
    const three = await uidOf({ kind: 'live' }, 'INBOX', seedMessageId(A, 'inbox', 3));
    const m3 = await readMessage(env.ctx, A, { kind: 'live' }, { mailbox: 'INBOX', uid: three.uid });
    assert.equal(m3.subject, 'Grüße – inbox #3');
    assert.match(m3.text, /^Hello carol,\n\nthis is seed message 3 of folder inbox\.\n/);
    assert.equal(m3.html, null);
    // By message GUID, in any mailbox.
    const byGuid = await readMessage(env.ctx, A, { kind: 'live' }, { guid: id.guid });
    assert.equal(byGuid.mailbox, 'Work Stuff');
    assert.equal(byGuid.text, liveWork.text);
  });

  test('mirror made here: the same message, the same parts', async () => {
    const r = await runBackup(env.ctx, A, { kind: 'mirror' });
    assert.ok(r.ok, JSON.stringify(r));
    const id = await uidOf({ kind: 'mirror' }, 'Work Stuff', seedMessageId(A, 'work-stuff', 2));
    const m = await readMessage(env.ctx, A, { kind: 'mirror' }, { mailbox: 'Work Stuff', uid: id.uid });
    assertSeedMultipart(m, 'work-stuff');
    assert.equal(m.set, 'mirror');
    assert.deepEqual(m.headers, liveWork.headers);
  });

  test('archive point: extracted for the read and removed afterwards', async () => {
    const r = await runBackup(env.ctx, A, { kind: 'full' });
    assert.ok(r.ok && r.archive?.id, JSON.stringify(r));
    const ref: BackupSetRef = { kind: 'archive', archiveId: r.archive.id };
    const id = await uidOf(ref, 'Work Stuff', seedMessageId(A, 'work-stuff', 2));
    const m = await readMessage(env.ctx, A, ref, { mailbox: 'Work Stuff', uid: id.uid });
    assertSeedMultipart(m, 'work-stuff');
    assert.equal(m.set, `archive:${r.archive.id}`);
    const dir = dovecotLayout(env.host, A).dir;
    const left = await env.ctx.transport.run(['sh', '-c', 'ls -A "$1" | grep -c "^mailops-extract" || true', 'sh', dir]);
    assert.equal(left.stdout.trim(), '0', `no extraction folder left in ${dir}`);
  });

  test('expunged: after an expunge the message reads from EXPUNGED (by UID without a mailbox, and by GUID)', async () => {
    const live = await uidOf({ kind: 'live' }, 'Archive', seedMessageId(A, 'archive', 2));
    await doveadm(env, ['expunge', '-u', A, 'mailbox', 'Archive', 'uid', String(live.uid)]);
    await assert.rejects(readMessage(env.ctx, A, { kind: 'live' }, { mailbox: 'Archive', uid: live.uid }), MessageNotFoundError);
    const x = await uidOf({ kind: 'expunged' }, undefined, seedMessageId(A, 'archive', 2));
    assert.equal(x.mailbox, env.lazy);
    const m = await readMessage(env.ctx, A, { kind: 'expunged' }, { uid: x.uid });
    assertSeedMultipart(m, 'archive');
    assert.equal(m.set, 'expunged');
    assert.equal(m.mailbox, env.lazy);
    const byGuid = await readMessage(env.ctx, A, { kind: 'expunged' }, { guid: x.guid });
    assert.equal(byGuid.uid, x.uid);
    await assert.rejects(readMessage(env.ctx, A, { kind: 'expunged' }, { mailbox: 'INBOX', uid: x.uid }), /the expunged set has one mailbox/);
  });

  test('the $(…) folders (carol\'s, and the hostile account\'s, read only) read fine and nothing executes', async () => {
    const id = await uidOf({ kind: 'live' }, SHELLMETA, seedMessageId(A, 'shellmeta', 1));
    const m = await readMessage(env.ctx, A, { kind: 'live' }, { mailbox: SHELLMETA, uid: id.uid });
    assert.equal(m.mailbox, SHELLMETA);
    assert.equal(m.messageId, seedMessageId(A, 'shellmeta', 1));
    assert.match(m.text, /this is seed message 1 of folder shellmeta\./);
    const mirror = await readMessage(env.ctx, A, { kind: 'mirror' }, { mailbox: SHELLMETA, uid: id.uid });
    assert.equal(mirror.text, m.text);
    // The hostile account: its own first message in that folder, whatever other suites did to the rest.
    const first = await withSet(env.ctx, env.hostile, { kind: 'live' }, {}, async () => {
      for await (const x of listMessages(env.ctx, env.hostile, SHELLMETA)) return x;
      return null;
    });
    assert.ok(first, 'the hostile account has a message in its $(…) folder');
    const h = await readMessage(env.ctx, env.hostile, { kind: 'live' }, { mailbox: SHELLMETA, uid: first.uid });
    assert.equal(h.account, env.hostile);
    assert.equal(h.messageId, first.messageId);
    const c = await cli(env, ['messages', A, SHELLMETA, '--show', String(id.uid)]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.json.mailbox, SHELLMETA);
    assert.equal(existsSync(PWNED), false, 'nothing executed');
  });

  test('the cap: a 3 MiB message is read up to 2 MiB and says so', async () => {
    const line = 'the quick brown fox jumps over the lazy dog 0123456789 abcdefghijklmnopqrstuvwxyz\n';
    const body = line.repeat(Math.ceil((3 * 1024 * 1024) / line.length));
    const raw = `From: big@example.test\nTo: ${A}@sandbox.mailops.test\nSubject: big message for the cap\nMessage-ID: <cap.${process.pid}@example.test>\nContent-Type: text/plain; charset=utf-8\n\n${body}`;
    await doveadm(env, ['save', '-u', A, '-m', 'INBOX'], raw);
    const id = await uidOf({ kind: 'live' }, 'INBOX', `<cap.${process.pid}@example.test>`);
    const m = await readMessage(env.ctx, A, { kind: 'live' }, { mailbox: 'INBOX', uid: id.uid });
    assert.equal(m.truncated, true);
    assert.equal(m.size, DEFAULT_MAX_BYTES);
    assert.equal(m.totalSize, Buffer.byteLength(raw));
    assert.equal(m.subject, 'big message for the cap');
    assert.ok(m.text.startsWith(line));
    assert.ok(m.text.length < DEFAULT_MAX_BYTES + 1000);
    assert.match(m.text, new RegExp(`\\[Mailops: message truncated: only the first 2 MiB \\(2097152 bytes\\) of [\\d.]+ MiB \\(${Buffer.byteLength(raw)} bytes\\) were read; the rest is not shown\\]\\n$`));
    const small = await readMessage(env.ctx, A, { kind: 'live' }, { mailbox: 'INBOX', uid: id.uid }, { maxBytes: 1000 });
    assert.equal(small.size, 1000);
    assert.equal(small.truncated, true);
    const c = await cli(env, ['messages', A, 'INBOX', '--show', String(id.uid), '--max-bytes', '5000']);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.json.truncated, true);
    assert.equal(c.json.size, 5000);
  });

  test('a missing message is an error naming host, account, set and id', async () => {
    await assert.rejects(readMessage(env.ctx, A, { kind: 'mirror' }, { mailbox: 'INBOX', uid: 99999 }), (e: unknown) => {
      assert.ok(e instanceof MessageNotFoundError);
      assert.match(e.message, /^sandbox-dovecot: no message UID 99999 in "INBOX" of carol in the mirror set/);
      return true;
    });
    await assert.rejects(readMessage(env.ctx, A, { kind: 'live' }, { mailbox: 'No Such Folder', uid: 1 }), /no message UID 1 in "No Such Folder" of carol in the live set/);
    await assert.rejects(readMessage(env.ctx, 'no-such-user-mailops', { kind: 'live' }, { mailbox: 'INBOX', uid: 1 }), /no such user: no-such-user-mailops/);
    const c = await cli(env, ['messages', A, 'INBOX', '--show', '99999', '--source', 'mirror']);
    assert.equal(c.code, 1);
    assert.match(c.stderr + c.stdout, /no message UID 99999 in \\?"INBOX\\?" of carol in the mirror set/);
  });

  test('CLI --show and the restore preview engine read the same message', async () => {
    const id = await uidOf({ kind: 'mirror' }, 'INBOX', seedMessageId(A, 'inbox', 2));
    const c = await cli(env, ['messages', A, 'INBOX', '--show', String(id.uid), '--source', 'mirror']);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.json.set, 'mirror');
    assert.equal(c.json.subject, '[inbox] message #2 for carol');
    assert.match(c.json.text, /plain part/);
    assert.match(c.json.html, /HTML part/);
    const ac = new AbortController();
    const p = await dovecotEngine(env.ctx, A, 'mirror').preview!('INBOX', id.uid, id.guid, ac.signal);
    assert.equal(p.text, c.json.text);
    assert.equal(p.html, c.json.html);
    assert.deepEqual(p.headers.find(([k]) => k === 'Subject'), ['Subject', '[inbox] message #2 for carol']);
    assert.equal(existsSync(PWNED), false);
  });
});
