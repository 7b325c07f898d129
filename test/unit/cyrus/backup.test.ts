import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { buildCyrusBackupScript, parseMeta, chainTo } from '../../../src/core/cyrus/backup';
import { parseMessage, decodeHeader } from '../../../src/core/cyrus/message';
import type { HostContext } from '../../../src/core/hosts/context';
import type { CyrusEnv } from '../../../src/core/cyrus/tools';

const hostile = `/tmp/x'$(touch /tmp/mailops-pwned)"\`id\``;
const ctx = { config: { name: 'h', transport: 'local', server: 'cyrus', privilege: { mode: 'none' }, cyrus: { backupRoot: hostile }, hooks: { preBackup: ['echo', hostile], postBackup: [] } } } as unknown as HostContext;
const env = { toolsDir: hostile, config: hostile, style: { unixHierarchySep: false }, probe: { configDirectory: hostile, partitions: { default: hostile } } } as unknown as CyrusEnv;

test('the backup script is constant code: every value is a positional argument', () => {
  const a = buildCyrusBackupScript(ctx, env, { kind: 'full' });
  const b = buildCyrusBackupScript(ctx, { ...env, toolsDir: '/usr/lib/cyrus/bin' } as CyrusEnv, { kind: 'incr' });
  assert.equal(a.script, b.script.replace(/expected \d+ arguments/, (m) => m));
  assert.ok(!a.script.includes('mailops-pwned'));
  assert.ok(a.args.includes(hostile));
  assert.throws(() => buildCyrusBackupScript(ctx, env, { kind: 'diff' as 'full' }));
  // the script parses in a real sh
  execFileSync('sh', ['-n', '-c', a.script]);
});

test('meta files and chains', () => {
  const full = parseMeta('id=20260101T000000Z-full\nlevel=full\nfull=20260101T000000Z-full\nbase=\ncreated=2026-01-01T00:00:00Z\nserver=cyrus\nmailboxes=3\nmessage_files=9\nbytes=100\nverified=yes\nconfigdirectory=/var/lib/cyrus\npartition-default=/var/spool/cyrus/mail\n', '/b/cyrus/archives')!;
  const incr = parseMeta('id=20260102T000000Z-incr\nlevel=incr\nfull=20260101T000000Z-full\nbase=20260101T000000Z-full\nserver=cyrus\nverified=yes\n', '/b/cyrus/archives')!;
  assert.deepEqual(full.partitions, { default: '/var/spool/cyrus/mail' });
  assert.equal(full.path, '/b/cyrus/archives/20260101T000000Z-full.tar.gz');
  assert.equal(parseMeta('id=x\nlevel=full\n', '/b'), null, 'a Dovecot meta (no server=cyrus) is not a Cyrus archive');
  const chains = [{ full, points: [full, incr] }];
  assert.deepEqual(chainTo(chains, incr.id).map((p) => p.id), [full.id, incr.id]);
  assert.deepEqual(chainTo(chains, full.id).map((p) => p.id), [full.id]);
  assert.throws(() => chainTo(chains, 'nope'), /no Cyrus archive/);
});

test('message preview: unfolded headers, RFC 2047 words, text', () => {
  const m = parseMessage(Buffer.from('From: =?UTF-8?Q?Ren=C3=A9e?= <r@x>\r\nSubject: =?UTF-8?B?w4lsw6h2ZXM=?=\r\n =?UTF-8?B?IGV0?=\r\nDate: Sat, 07 Mar 2015 09:00:00 +0100\r\n\r\nHello\r\n'));
  assert.equal(m.from, 'Renée <r@x>');
  assert.equal(m.subject, 'Élèves et');
  assert.equal(m.dateIso, '2015-03-07T08:00:00.000Z');
  assert.equal(m.text, 'Hello\n');
  assert.equal(decodeHeader('plain'), 'plain');
});
