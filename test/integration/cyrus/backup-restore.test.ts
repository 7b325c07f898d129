/**
 * Against the REAL sandbox Cyrus over the REAL sshd: file backup (full, then incremental), delete messages
 * and a folder, restore that folder from the archive into a new folder; every message readable over IMAP
 * (FETCH BODY[]) and byte-identical to the original. Uses a private backup root.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sandboxCmd, PWNED_FILE } from '../../support/sandbox';
import { quoteImap } from '../../support/imap';
import { encodeMutf7 } from '../../../src/core/cyrus/utf7';
import { cli, imapAs, setup, type CyrusEnv } from './helpers';

let env: CyrusEnv;
let backupRoot: string;

before(async () => {
  env = await setup();
  rmSync(PWNED_FILE, { force: true });
  await sandboxCmd('reseed', 'cyrus', 'alice');
  backupRoot = mkdtempSync('/var/tmp/mailops-cyrus-it-');
  chmodSync(backupRoot, 0o755);
  const hosts = JSON.parse(readFileSync(env.info.hostsFile, 'utf8')) as { hosts: Array<{ name: string; cyrus?: Record<string, string> }> };
  for (const h of hosts.hosts) if (h.name === 'sandbox-cyrus') h.cyrus = { ...h.cyrus, backupRoot };
  const file = join(env.scratch, 'hosts.json');
  writeFileSync(file, JSON.stringify(hosts, null, 2));
  env.info = { ...env.info, hostsFile: file };
});
after(() => {
  env?.cleanup();
  if (backupRoot) rmSync(backupRoot, { recursive: true, force: true });
  assert.equal(existsSync(PWNED_FILE), false, `${PWNED_FILE} appeared: a name reached a shell`);
});

test('backup; delete messages and a folder; restore the folder from the archive into a new folder', async () => {
  const hostile = '$(cd $(dirname $(mktemp -u)) && touch mailops-pwned)';
  const folders = { work: 'INBOX.Work Stuff', hostile: `INBOX.${encodeMutf7(hostile)}` };
  const c = await imapAs(env, 'alice');
  await c.select(folders.work);
  const originals = await c.fetchBodies();
  assert.ok(originals.length >= 2);

  const full = await cli(env, ['cyrus-backup', '--kind', 'full']);
  assert.equal(full.code, 0, full.stderr);
  assert.equal(full.json.level, 'full');
  assert.equal(full.json.verified, true);
  assert.ok(full.json.mailboxes >= 7);
  // a change, then an incremental on top of the full
  await c.append(folders.work, 'From: late@example.org\r\nSubject: after the full backup\r\nMessage-ID: <late@mailops.test>\r\n\r\nlate\r\n');
  await c.command('NOOP');
  const withLate = await c.fetchBodies();
  const incr = await cli(env, ['cyrus-backup', '--kind', 'incr']);
  assert.equal(incr.code, 0, incr.stderr);
  assert.equal(incr.json.level, 'incr');

  const cat = await cli(env, ['cyrus-backups']);
  assert.equal(cat.code, 0, cat.stderr);
  assert.deepEqual(cat.json[0].points.map((p: { id: string }) => p.id), [full.json.archiveId, incr.json.archiveId]);
  const dump = await cli(env, ['cyrus-backups', '--mailboxes', incr.json.archiveId]);
  assert.ok(dump.json.some((m: { account: string; folder: string }) => m.account === 'alice' && m.folder === hostile));

  // delete messages, then the folder itself (as the owner over IMAP), and the hostile folder too
  await c.expungeUids(withLate.slice(0, 2).map((m) => m.uid));
  await c.command('UNSELECT');
  await c.command(['DELETE', quoteImap(folders.work)]);
  await c.command(['DELETE', quoteImap(folders.hostile)]);

  const dry = await cli(env, ['cyrus-restore', 'alice', 'Work Stuff', '--from', incr.json.archiveId, '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.deepEqual(dry.json.chain, [full.json.archiveId, incr.json.archiveId]);
  assert.deepEqual(dry.json.messages.map((m: { uid: number }) => m.uid), withLate.map((m) => m.uid));
  assert.ok(dry.json.messages.some((m: { subject: string }) => m.subject === 'after the full backup'));
  assert.equal((await c.list('INBOX.Restored*')).length, 0, 'a dry run creates nothing');

  const r = await cli(env, ['cyrus-restore', 'alice', 'Work Stuff', '--from', incr.json.archiveId, '--yes']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.restored, withLate.length);
  // counted by mbexamine (listed and the header as Cyrus read it) and by Mailops' own header reading, all agreeing
  assert.deepEqual([r.json.count.listed, r.json.count.cyrusHeader, r.json.count.mailopsHeader.exists], [withLate.length, withLate.length, withLate.length]);
  assert.equal(r.json.target.folder, 'Restored.Work Stuff');
  const sel = await c.select('INBOX.Restored.Work Stuff');
  assert.equal(sel.exists, withLate.length);
  const restored = await c.fetchBodies();
  assert.equal(restored.length, withLate.length);
  for (const o of withLate) assert.ok(restored.some((m) => m.body.equals(o.body)), `message UID ${o.uid} restored byte for byte`);

  // the hostile folder, one message, from the full archive, to a chosen name
  const h = await cli(env, ['cyrus-restore', 'alice', hostile, '--from', full.json.archiveId, '--to', `Back ${hostile}`, '--yes']);
  assert.equal(h.code, 0, h.stderr);
  const hs = await c.select(`INBOX.${encodeMutf7(`Back ${hostile}`)}`);
  assert.equal(hs.exists, h.json.restored);
  for (const m of await c.fetchBodies()) assert.ok(m.body.length > 0);

  // never into an existing folder
  const again = await cli(env, ['cyrus-restore', 'alice', 'Work Stuff', '--from', incr.json.archiveId, '--yes']);
  assert.equal(again.code, 2);
  assert.match(again.json.message, /exists; a restore never writes into an existing folder/);
  await c.logout();
});
