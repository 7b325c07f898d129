/**
 * From doveadm fetch output to MessageSummary, on real captured output (browse-capture.sh seeds the
 * messages whose headers are checked here).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeHeader, toMessageSummary, unixToIso } from '../../../src/core/dovecot/messages';

const FIXTURES = join(__dirname, '../../fixtures/dovecot');
const load = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Array<Record<string, unknown>>;

describe('decodeHeader', () => {
  test('RFC 2047 B and Q words, charsets, adjacent words, folding', () => {
    assert.equal(decodeHeader('=?UTF-8?B?w5xiZXJ3ZWlzdW5nIGbDvHIgWm/Dqw==?='), 'Überweisung für Zoë');
    assert.equal(decodeHeader('=?ISO-8859-1?Q?Andr=E9_M=FCller?= <andre@example.org>'), 'André Müller <andre@example.org>');
    assert.equal(decodeHeader('=?UTF-8?Q?a?= =?UTF-8?Q?b?= c =?UTF-8?Q?d?='), 'ab c d');
    assert.equal(decodeHeader('Folded subject line\n continues here'), 'Folded subject line continues here');
    assert.equal(decodeHeader('plain =?bogus text'), 'plain =?bogus text');
    assert.equal(decodeHeader('=?x-unknown-charset?Q?caf=E9?='), 'café', 'unknown charset falls back to Latin-1');
  });
});

describe('toMessageSummary on captured fetch output', () => {
  const raw = load('browse-fetch-work-stuff.json');
  const msgs = raw.map((o) => toMessageSummary('alice', o));

  test('every message has its uid, guid, size, mailbox and received date', () => {
    assert.equal(msgs.length, raw.length);
    for (const [i, m] of msgs.entries()) {
      assert.equal(m.uid, Number(raw[i]!.uid));
      assert.equal(m.guid, raw[i]!.guid);
      assert.ok(m.guid.length > 0);
      assert.equal(m.size, Number(raw[i]!['size.virtual']));
      assert.equal(m.mailbox, 'Work Stuff');
      assert.equal(m.received, new Date(Number(raw[i]!['date.received.unixtime']) * 1000).toISOString());
    }
  });

  test('flags and keywords are split', () => {
    const first = msgs.find((m) => m.uid === 1)!;
    assert.deepEqual([...first.flags].sort(), ['$Important', '\\Recent', '\\Seen'].sort());
  });

  test('the folded subject is unfolded, the sent date parsed from the Date header', () => {
    const m = msgs.find((x) => x.subject.startsWith('Folded'))!;
    assert.equal(m.subject, 'Folded subject line continues here');
    // seeded as "Date: Mon, 14 Jan 2024 10:04:00 +0100"
    assert.equal(m.sent, '2024-01-14T09:04:00.000Z');
    assert.equal(m.to, '"Alice Example" <alice@example.org>');
  });

  test('no Date header: sent is null; no Message-ID: null; encoded From decoded', () => {
    const m = msgs.find((x) => x.subject === 'No date and no message-id')!;
    assert.equal(m.sent, null);
    assert.equal(m.messageId, null);
    assert.equal(m.from, 'André Müller <andre@example.org>');
  });

  test('a garbage Date header is null, raw 8-bit bytes are U+FFFD', () => {
    const m = msgs.find((x) => x.messageId === '<raw8@example.org>')!;
    assert.equal(m.sent, null);
    assert.equal(m.subject, 'Raw latin1 \uFFFDt\uFFFD and ctrl \u0001 char');
  });

  test('a long encoded subject and a quoted display name', () => {
    const m = msgs.find((x) => x.messageId === '<long@example.org>')!;
    assert.equal(m.subject, `Long € ${'x'.repeat(3000)}`);
    assert.equal(m.from, '"Quote \\" Person" <q@example.org>');
    assert.equal(m.to, 'a@example.org, "B, C" <bc@example.org>');
    assert.equal(m.sent, '2024-01-02T11:04:05.000Z');
  });

  test('summaries are plain JSON', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(msgs)), msgs);
  });

  test('the hostile account: folder names with $(…), quotes, backticks and non-ASCII come through', () => {
    const all = load('browse-fetch-hostile-all.json').map((o) => toMessageSummary('x', o));
    const names = new Set(all.map((m) => m.mailbox));
    for (const n of ['INBOX', 'Work Stuff', 'Quote"d \'folder\'', '$(touch /tmp/mailops-pwned)', "Zoë's Ünïcode", 'back`id`tick', 'Archive/2024']) {
      assert.ok(names.has(n), `mailbox ${n} in ${[...names].join(' | ')}`);
    }
    for (const m of all) assert.ok(m.subject.includes(m.mailbox) || m.uid <= 3, `${m.subject} names its folder`);
  });
});

describe('unixToIso', () => {
  test('0, negative and junk are unknown', () => {
    assert.equal(unixToIso('0'), null);
    assert.equal(unixToIso('-1'), null);
    assert.equal(unixToIso('x'), null);
    assert.equal(unixToIso(undefined), null);
    assert.equal(unixToIso('1704963660'), '2024-01-11T09:01:00.000Z');
  });
});
