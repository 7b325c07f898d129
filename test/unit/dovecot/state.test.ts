import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeDsyncState, DsyncStateError } from '../../../src/core/dovecot/state';

const FIX = join(__dirname, '../../fixtures/dovecot');
const read = (n: string) => readFileSync(join(FIX, n), 'utf8');

describe('decodeDsyncState on states printed by doveadm backup 2.3.19', () => {
  test('first full backup: the 5 mailboxes with the values doveadm mailbox status reported', () => {
    const s = decodeDsyncState(read('state-initial-5-mailboxes.txt'));
    assert.equal(s.major, 1);
    assert.equal(s.minor, 0);
    const expected = read('state-initial-5-mailboxes.expected.tsv').trim().split('\n').slice(1).map((l) => l.split('\t'));
    assert.equal(s.mailboxes.length, expected.length);
    for (const [guid, uidvalidity, lastUid, modseq, messages] of expected) {
      const m = s.mailboxes.find((x) => x.guid === guid);
      assert.ok(m, `mailbox ${guid}`);
      assert.equal(m.uidvalidity, Number(uidvalidity));
      assert.equal(m.lastCommonUid, Number(lastUid));
      assert.equal(m.lastCommonModseq, Number(modseq));
      assert.equal(m.messageCount, Number(messages));
      assert.equal(m.lastCommonPvtModseq, 0);
    }
  });
  test('after expunging INBOX uid 2 and an incremental run: INBOX count 5 -> 4, modseq advanced', () => {
    const before = decodeDsyncState(read('state-initial-5-mailboxes.txt')).mailboxes.find((m) => m.guid === '8c29810a1f6c026b3a34000083ecc375')!;
    const after = decodeDsyncState(read('state-after-expunge.txt')).mailboxes.find((m) => m.guid === '8c29810a1f6c026b3a34000083ecc375')!;
    assert.equal(before.messageCount, 5);
    assert.equal(after.messageCount, 4);
    assert.ok(after.lastCommonModseq > before.lastCommonModseq);
    assert.equal(after.uidvalidity, before.uidvalidity);
  });
  test('damaged states are refused with the reason', () => {
    const good = read('state-initial-5-mailboxes.txt').trim();
    const b = Buffer.from(good, 'base64');
    b[30] = b[30]! ^ 0xff;
    assert.throws(() => decodeDsyncState(b.toString('base64')), (e: unknown) => e instanceof DsyncStateError && /CRC32 mismatch/.test((e as Error).message));
    assert.throws(() => decodeDsyncState('AQAAAGdhcmJhZ2U='), /invalid size|too small/);
    assert.throws(() => decodeDsyncState('not base64 !!'), /not base64/);
    assert.deepEqual(decodeDsyncState('').mailboxes, []);
    assert.deepEqual(decodeDsyncState('AAAAAA==').mailboxes, []);
  });
});
