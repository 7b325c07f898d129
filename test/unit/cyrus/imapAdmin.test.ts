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
