/** mailbox status, doveconf and user list parsing on captured output (browse-capture.sh). */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDoveconf, sortMailboxes, toMailboxStatus } from '../../../src/core/dovecot/mailboxes';
import { parseUserList } from '../../../src/core/dovecot/accounts';

const FIXTURES = join(__dirname, '../../fixtures/dovecot');
const read = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

describe('mailbox status', () => {
  test('numbers are numbers, names and GUIDs kept', () => {
    const raw = JSON.parse(read('browse-mailbox-status-hostile.json')) as Array<Record<string, string>>;
    const list = sortMailboxes(raw.map((o) => toMailboxStatus('h', o)));
    assert.equal(list[0]!.name, 'INBOX');
    for (const m of list) {
      const o = raw.find((r) => r.mailbox === m.name)!;
      assert.equal(m.messages, Number(o.messages));
      assert.equal(m.unseen, Number(o.unseen));
      assert.equal(m.vsize, Number(o.vsize));
      assert.equal(m.uidvalidity, Number(o.uidvalidity));
      assert.equal(m.uidnext, Number(o.uidnext));
      assert.equal(m.highestmodseq, Number(o.highestmodseq));
      assert.match(m.guid, /^[0-9a-f]{32}$/);
      assert.ok(m.messages > 0 && m.vsize > 0);
    }
    assert.ok(list.some((m) => m.name === '$(touch /tmp/mailops-pwned)'));
    assert.ok(list.some((m) => m.name === 'Quote"d \'folder\''));
  });

  test('a missing mailbox: status prints an empty list and exits 68', () => {
    assert.deepEqual(JSON.parse(read('browse-status-missing-mailbox.json')), []);
    assert.equal(read('browse-status-missing-mailbox.rc').trim(), 'rc=68');
    // and fetch prints an empty list but exits 0: the trap listMessages guards against
    assert.deepEqual(JSON.parse(read('browse-fetch-missing-mailbox.json')), []);
    assert.equal(read('browse-fetch-missing-mailbox.rc').trim(), 'rc=0');
  });
});

describe('doveconf', () => {
  test('separator, mail_location, lazy_expunge from the captured config dump', () => {
    const s = parseDoveconf(read('browse-doveconf.txt'));
    assert.equal(s.separator, '/');
    assert.equal(s.mailLocation, 'maildir:~/Maildir');
    assert.deepEqual(s.mailPlugins, ['lazy_expunge']);
    assert.equal(s.lazyExpungeMailbox, 'EXPUNGED');
  });

  test('an empty separator falls back to the storage default; no plugin, no lazy mailbox', () => {
    const text = read('browse-doveconf.txt').replace(/separator = \//, 'separator = ').replace(/mail_plugins = .*/, 'mail_plugins = ');
    const s = parseDoveconf(text);
    assert.equal(s.separator, '.');
    assert.equal(s.lazyExpungeMailbox, null);
    assert.equal(parseDoveconf(text.replace('maildir:~/Maildir', 'maildir:~/Maildir:LAYOUT=fs')).separator, '/');
  });
});

describe('doveadm user *', () => {
  test('one account per line, hostile names intact', () => {
    const accounts = parseUserList(read('browse-user-list.txt'));
    assert.deepEqual(accounts.map((a) => a.name), read('browse-user-list.txt').split('\n').filter(Boolean));
    assert.ok(accounts.some((a) => a.name.includes('$(touch /tmp/mailops-pwned)')));
  });
});
