/**
 * Against the REAL sandbox Cyrus over the REAL sshd: expunge over IMAP, list with `mailops expunged`,
 * preview, restore by UID and --all; delete a folder (hostile name), list it, undelete it, and undelete
 * to a new name when the original exists again (the existing folder untouched).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { sandboxCmd, PWNED_FILE } from '../../support/sandbox';
import { quoteImap } from '../../support/imap';
import { TEST_MESSAGES, renderMessage } from '../../fixtures/cyrus/messages';
import { encodeMutf7 } from '../../../src/core/cyrus/utf7';
import { cli, imapAs, setup, type CyrusEnv } from './helpers';

let env: CyrusEnv;

before(async () => {
  env = await setup();
  rmSync(PWNED_FILE, { force: true });
  await sandboxCmd('reseed', 'cyrus', 'alice');
});
after(() => {
  env?.cleanup();
  assert.equal(existsSync(PWNED_FILE), false, `${PWNED_FILE} appeared: a name reached a shell`);
});

describe('expunged messages', () => {
  const folder = 'Work Stuff';
  const imapName = 'INBOX.Work Stuff';
  const picked = TEST_MESSAGES.filter((m) => ['quoted', 'encoded', 'nosubject'].includes(m.key));
  const uids: number[] = [];

  test('expunge 3 messages over IMAP; mailops expunged lists exactly them with their headers', async () => {
    const c = await imapAs(env, 'alice');
    for (const m of picked) uids.push((await c.append(imapName, renderMessage(m, 'it')))!);
    assert.equal(uids.length, 3);
    await c.select(imapName);
    const before = await c.uids();
    await c.expungeUids(uids);
    assert.deepEqual(await c.uids(), before.filter((u) => !uids.includes(u)));
    await c.logout();

    const r = await cli(env, ['expunged', 'alice', folder]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json.map((i: { record: { uid: number } }) => i.record.uid), uids);
    const [q, enc, nosub] = r.json.map((i: { record: Record<string, unknown> }) => i.record);
    assert.equal(q.subject, 'He said "hello" \\ and left');
    assert.equal(q.from, '"Doe, John" <john@example.org>');
    assert.equal(q.sent, '2015-03-05T00:00:00.000Z');
    assert.equal(enc.subject, 'Élèves et résultats');
    assert.equal(nosub.subject, null);
    assert.equal(nosub.from, '<noreply@example.com>');
    for (const x of [q, enc, nosub]) assert.ok(Date.now() - Date.parse(x.expunged as string) < 10 * 60_000);

    const all = await cli(env, ['expunged', 'alice']);
    assert.equal(all.code, 0, all.stderr);
    assert.deepEqual(all.json.filter((i: { folder: string }) => i.folder === folder).map((i: { record: { uid: number } }) => i.record.uid), uids);
    const bySubject = await cli(env, ['expunged', 'alice', '--subject', 'HELLO']);
    assert.deepEqual(bySubject.json.map((i: { record: { uid: number } }) => i.record.uid), [uids[0]]);
    const bySender = await cli(env, ['expunged', 'alice', folder, '--from', 'noreply@']);
    assert.deepEqual(bySender.json.map((i: { record: { uid: number } }) => i.record.uid), [uids[2]]);
    const future = await cli(env, ['expunged', 'alice', folder, '--since', new Date(Date.now() + 3600_000).toISOString()]);
    assert.equal(future.code, 1);
    assert.deepEqual(future.json, []);
  });

  test('--show previews the expunged message itself', async () => {
    const r = await cli(env, ['expunged', 'alice', folder, '--show', String(uids[1])]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.message.subject, 'Élèves et résultats');
    assert.equal(r.json.message.from, 'Renée <renee@example.fr>');
    assert.match(r.json.message.text, /Encoded words\./);
  });

  test('restore one UID: it is back with $Restored; --dry-run changes nothing; --all brings the rest', async () => {
    const one = await cli(env, ['unexpunge', 'alice', folder, '--uid', String(uids[0]), '--yes']);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.json.result.count, 1);
    assert.equal(one.json.result.restored[0].oldUid, uids[0]);
    const newUid = one.json.result.restored[0].newUid as number;

    const c = await imapAs(env, 'alice');
    await c.select(imapName);
    const [msg] = await c.fetchBodies(String(newUid));
    assert.ok(msg, 'restored message present');
    assert.ok(msg.flags.includes('$Restored'), `flags: ${msg.flags.join(' ')}`);
    assert.match(msg.body.toString('utf8'), /Message-ID: <quoted\.it@mailops\.test>/);
    const countBefore = (await c.uids()).length;

    const dry = await cli(env, ['unexpunge', 'alice', folder, '--all', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(dry.json.selected.map((x: { uid: number }) => x.uid), uids.slice(1));
    await c.command('NOOP');
    assert.equal((await c.uids()).length, countBefore);

    const rest = await cli(env, ['unexpunge', 'alice', folder, '--all', '--yes']);
    assert.equal(rest.code, 0, rest.stderr);
    assert.equal(rest.json.result.count, 2);
    await c.command('NOOP');
    const bodies = await c.fetchBodies();
    assert.equal(bodies.length, countBefore + 2);
    for (const key of ['encoded', 'nosubject']) assert.ok(bodies.some((b) => b.body.includes(`<${key}.it@mailops.test>`)), key);
    await c.logout();
    const none = await cli(env, ['expunged', 'alice', folder]);
    assert.deepEqual(none.json, []);
  });

  test('a folder that does not exist is an error naming the folders', async () => {
    const r = await cli(env, ['expunged', 'alice', 'No Such Folder']);
    assert.equal(r.code, 2);
    assert.match(r.json.message, /has no folder "No Such Folder"/);
  });
});

describe('deleted folders', () => {
  // The sandbox's hostile folder: shell metacharacters that would create /tmp/mailops-pwned in a shell.
  const hostile = '$(cd $(dirname $(mktemp -u)) && touch mailops-pwned)';
  const imapName = `INBOX.${encodeMutf7(hostile)}`;

  test('delete, list with the right time, undelete brings it back with its messages', async () => {
    const c = await imapAs(env, 'alice');
    const { exists } = await c.select(imapName);
    assert.ok(exists > 0);
    await c.command('UNSELECT');
    const t0 = Math.floor(Date.now() / 1000);
    await c.command(['DELETE', quoteImap(imapName)]);
    const t1 = Math.ceil(Date.now() / 1000);

    const d = await cli(env, ['deleted', 'alice']);
    assert.equal(d.code, 0, d.stderr);
    const entry = d.json.find((x: { originalFolder: string }) => x.originalFolder === hostile);
    assert.ok(entry, JSON.stringify(d.json));
    const at = Date.parse(entry.deletedAt) / 1000;
    assert.ok(at >= t0 - 1 && at <= t1 + 1, `${entry.deletedAt} not within the DELETE`);
    assert.equal(entry.messages, exists, JSON.stringify(entry));
    assert.equal(entry.originalExists, false);

    const dry = await cli(env, ['undelete', 'alice', hostile, '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(dry.json.targetInternal, `user.alice.${encodeMutf7(hostile)}`);

    const u = await cli(env, ['undelete', 'alice', hostile, '--yes']);
    assert.equal(u.code, 0, u.stderr);
    assert.equal(u.json.done, true);
    assert.equal((await c.select(imapName)).exists, exists);
    const bodies = await c.fetchBodies();
    assert.equal(bodies.length, exists);
    await c.logout();
  });

  test('when the name exists again: refused without --to, the existing folder untouched; --to restores beside it', async () => {
    const c = await imapAs(env, 'alice');
    const { exists } = await c.select(imapName);
    await c.command('UNSELECT');
    await c.command(['DELETE', quoteImap(imapName)]);
    await c.create(imapName);
    await c.append(imapName, renderMessage(TEST_MESSAGES[0]!, 'new'));

    const refused = await cli(env, ['undelete', 'alice', hostile, '--yes']);
    assert.equal(refused.code, 2);
    assert.match(refused.json.message, /exists again; undelete never overwrites/);
    const stillOne = await c.select(imapName);
    assert.equal(stillOne.exists, 1);

    const target = `Restored ${hostile}`;
    const ok = await cli(env, ['undelete', 'alice', hostile, '--to', target, '--yes']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((await c.select(`INBOX.${encodeMutf7(target)}`)).exists, exists);
    const existing = await c.select(imapName);
    assert.equal(existing.exists, 1);
    const [b] = await c.fetchBodies();
    assert.match(b!.body.toString(), /<plain\.new@mailops\.test>/);
    await c.logout();
  });

  test('a wrong admin password fails at LOGIN and changes nothing', async () => {
    const c = await imapAs(env, 'alice');
    await c.create('INBOX.Temp');
    await c.command(['DELETE', quoteImap('INBOX.Temp')]);
    const bad = `${env.scratch}/bad`;
    writeFileSync(bad, 'Bad-Pw-7731\n', { mode: 0o600 }); // owner-only: the CLI refuses a secret file others can read
    const r = await cli(env, ['undelete', 'alice', 'Temp', '--yes'], { MAILOPS_CYRUS_ADMIN_PASSWORD_FILE: bad });
    assert.equal(r.code, 1);
    assert.match(r.json.message, /IMAP LOGIN as cyrus failed/);
    assert.doesNotMatch(r.stdout + r.stderr, /Bad-Pw-7731/);
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(env.info.cyrus.adminPassword));
    const d = await cli(env, ['deleted', 'alice']);
    assert.ok(d.json.some((x: { originalFolder: string }) => x.originalFolder === 'Temp'));
    await c.logout();
  });
});
