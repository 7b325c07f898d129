import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSession, imapString, parseSession } from '../../../src/core/cyrus/imapAdmin';

const fx = (n: string) => readFileSync(join(__dirname, '../../fixtures/cyrus', n), 'utf8');

test('strings: quoted when plain, LITERAL+ otherwise (quotes, backslashes, 8-bit)', () => {
  assert.equal(imapString("user.alice.it's $HOME &- (x)"), `"user.alice.it's $HOME &- (x)"`);
  assert.equal(imapString('pa"ss'), '{5+}\r\npa"ss');
  assert.equal(imapString('Ä'), '{2+}\r\nÄ');
  const s = buildSession('cyrus', 'p\\w"1', [['RENAME', imapString('a'), imapString('b')]]).toString();
  assert.equal(s, 'L LOGIN "cyrus" {5+}\r\np\\w"1\r\nC1 RENAME "a" "b"\r\nZ LOGOUT\r\n');
});

test('real pipelined session: per-command answers, untagged lines attributed', () => {
  const s = parseSession(fx('imap-session.rename-ok.txt'), 4);
  assert.match(s.greeting!, /Cyrus IMAP 3\.6/);
  assert.equal(s.login.status, 'OK');
  assert.deepEqual(s.commands.map((c) => c.status), ['NO', 'OK', 'NO', 'OK']);
  assert.equal(s.commands[2]!.text, 'Mailbox already exists');
  assert.deepEqual(s.commands[3]!.untagged, ['* OK rename user.bob.Tmp &AMQ- user.bob.Renamed']);
});

test('real session with a wrong password: LOGIN NO, later commands not run', () => {
  const s = parseSession(fx('imap-session.login-failed.txt'), 1);
  assert.equal(s.login.status, 'NO');
  assert.match(s.login.text, /authentication failure/);
  assert.equal(s.commands[0]!.status, 'BAD');
  const missing = parseSession('', 1);
  assert.equal(missing.greeting, null);
  assert.equal(missing.commands[0]!.status, 'MISSING');
});

test('11.3: only loopback addresses may receive the admin password (plain IMAP)', async () => {
  const { isLoopbackAddress, adminEndpoint } = await import('../../../src/core/cyrus/imapAdmin');
  for (const a of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) assert.equal(isLoopbackAddress(a), true, a);
  for (const a of ['evil', 'evil.example.org', '192.0.2.2', '10.0.0.1', '128.0.0.1', '127.0.0.1.evil.org', '::2', 'fd00::1', '1127.0.0.1', 'localhost.evil.org']) assert.equal(isLoopbackAddress(a), false, a);
  const ctx = { config: { name: 'mx', transport: 'ssh', server: 'cyrus', privilege: { mode: 'none' }, cyrus: { imap: 'evil:143' } } } as never;
  assert.throws(() => adminEndpoint(ctx), (e: Error) => /refusing to send the Cyrus admin password to evil:143: cyrus\.imap of the host "mx" is not a loopback address/.test(e.message));
  assert.throws(() => adminEndpoint(ctx, { imap: '192.0.2.2:143' }), /--imap is not a loopback address/);
  assert.deepEqual(adminEndpoint(ctx, { imap: '[::1]:11143' }), { host: '::1', port: 11143, user: 'cyrus' });
});
