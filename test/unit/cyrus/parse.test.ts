import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  parseMboxlistLine, readMboxlist, parseUnexpungeList, UnexpungeListParser, parseUnexpungeResult,
  parseMbpathJson, splitHeadOutput, parseCtime,
} from '../../../src/core/cyrus/parse';
import { parseIndexHeader } from '../../../src/core/cyrus/indexHeader';
import { readLines } from '../../../src/core/util/lines';

const fx = (n: string) => readFileSync(join(__dirname, '../../fixtures/cyrus', n));

describe('ctl_mboxlist -d', () => {
  test('netnews dump: one entry per line, the tombstone of the deleted folder skipped', async () => {
    const entries = [];
    for await (const e of readMboxlist(readLines(Readable.from([fx('ctl_mboxlist-d.netnews.json')])))) entries.push(e);
    const names = entries.map((e) => e.name);
    assert.ok(names.includes('user.alice.Archive'));
    assert.ok(names.includes("user.alice.it's $HOME &- (x) * ?"));
    assert.ok(names.includes('user.alice.Gr&APwA3w-e &AMQ-rger'));
    assert.ok(names.some((n) => /^DELETED\.user\.alice\.Work Stuff\.[0-9A-F]{8}$/.test(n)), names.join('\n'));
    assert.ok(!names.includes('user.alice.Work Stuff'), 'the tombstone (mbtype ed) of the deleted folder is skipped');
    assert.match(fx('ctl_mboxlist-d.netnews.json').toString(), /"user\.alice\.Work Stuff": \{[^\n]*"mbtype": "ed"/);
    const archive = entries.find((e) => e.name === 'user.alice.Archive')!;
    assert.equal(archive.mbtype, 'e');
    assert.equal(archive.partition, 'default');
    assert.match(archive.uniqueid!, /^[a-z0-9]{24}$/);
    assert.equal(typeof archive.uidvalidity, 'number');
    assert.deepEqual(archive.acl, { alice: 'lrswipkxtecdan' });
  });
  test('tombstones (mbtype with d) are skipped, odd lines refused', async () => {
    const dump = readFileSync(join(__dirname, '../../fixtures/cyrus', 'ctl_mboxlist-d.unixsep-virtdomains.json'), 'utf8');
    const all = dump.split('\n').map(parseMboxlistLine).filter((e) => e !== null);
    const live = [];
    for await (const e of readMboxlist(readLines(Readable.from([Buffer.from(dump)])))) live.push(e);
    const tomb = all.filter((e) => e.mbtype.includes('d'));
    assert.equal(tomb.length, 2);
    assert.equal(live.length, all.length - tomb.length);
    assert.ok(live.every((e) => !e.mbtype.includes('d')));
    assert.ok(live.some((e) => e.name === 'example.org!user.alice.v1^2 notes'));
    assert.throws(() => parseMboxlistLine('garbage'));
  });
});

describe('unexpunge -l', () => {
  test('quoted, literal {N}, decoded 8-bit, NIL subjects; Cc/Bcc lists', () => {
    const { records, failure } = parseUnexpungeList(fx('unexpunge-l.literals.txt'));
    assert.equal(failure, null);
    assert.deepEqual(records.map((r) => r.uid), [2, 3, 4, 5, 6]);
    const [quoted, eightbit, encoded, cc, nosubj] = records;
    assert.equal(quoted!.subject, 'He said "hello" \\ and left');
    assert.equal(quoted!.from, '"Doe, John" <john@example.org>');
    assert.equal(quoted!.size, 306);
    assert.equal(quoted!.sent, '2015-03-05T00:00:00.000Z');
    assert.match(quoted!.expunged!, /^\d{4}-\d\d-\d\dT/);
    assert.equal(eightbit!.subject, 'GrXXXXe aus KXXln');
    assert.equal(encoded!.subject, 'Élèves et résultats');
    assert.equal(encoded!.from, '"Renée" <renee@example.fr>');
    assert.equal(cc!.cc, '<carol@example.org>,<dave@example.org>');
    assert.equal(cc!.bcc, '<audit@example.org>');
    assert.equal(cc!.subject, 'Meeting notes');
    assert.equal(nosubj!.subject, null);
    assert.equal(nosubj!.cc, null);
    assert.ok(records.every((r) => !r.cacheError));
  });
  test('byte-at-a-time streaming gives the same records (literal split across chunks)', () => {
    const all = fx('unexpunge-l.literals.txt');
    const p = new UnexpungeListParser();
    const got = [];
    for (let i = 0; i < all.length; i++) got.push(...p.push(all.subarray(i, i + 1)));
    got.push(...p.end());
    assert.deepEqual(got, parseUnexpungeList(all).records);
  });
  test('ERROR: cache record missing or corrupt', () => {
    const { records } = parseUnexpungeList(fx('unexpunge-l.cache-error.txt'));
    assert.deepEqual(records.map((r) => [r.uid, r.cacheError]), [[1, false], [2, false], [3, true]]);
    assert.equal(records[2]!.from, null);
    assert.equal(records[2]!.size, 289);
  });
  test('Failed to open mailbox, printed without newline and exit code 0', () => {
    assert.equal(fx('unexpunge-l.missing.rc').toString().trim(), '0');
    const { records, failure } = parseUnexpungeList(fx('unexpunge-l.missing.txt'));
    assert.equal(records.length, 0);
    assert.match(failure!, /^Failed to open mailbox user\.nobody\.Nothing: Mailbox does not exist$/);
  });
  test('virtdomains + modified UTF-7 mailbox', () => {
    const { records } = parseUnexpungeList(fx('unexpunge-l.virtdomain-utf7.txt'));
    assert.deepEqual(records.map((r) => r.uid), [1, 2, 3]);
    assert.equal(records[0]!.subject, 'Quarterly report');
  });
  test('ctime parsing', () => {
    assert.equal(parseCtime('Wed Mar  4 00:00:00 2015'), '2015-03-04T00:00:00.000Z');
    assert.equal(parseCtime('nonsense'), null);
  });
});

describe('unexpunge -u / -a', () => {
  test('one UID with -f $Restored', () => {
    const r = parseUnexpungeResult(fx('unexpunge-u.txt').toString());
    assert.equal(r.mailbox, 'user.alice.Archive');
    assert.deepEqual(r.restored, [{ oldUid: 2, newUid: 7 }]);
    assert.equal(r.count, 1);
    assert.equal(r.failure, null);
  });
  test('-a on a virtdomain mailbox', () => {
    const r = parseUnexpungeResult(fx('unexpunge-a.txt').toString());
    assert.equal(r.mailbox, 'user/alice/Gr&APwA3w-e &AMQ-rger@example.org');
    assert.deepEqual(r.restored.map((x) => x.oldUid), [1, 2, 3]);
    assert.equal(r.count, 3);
  });
  test('missing mailbox', () => {
    const r = parseUnexpungeResult(fx('unexpunge-u.missing.txt').toString());
    assert.match(r.failure!, /Failed to open mailbox 'user\.nobody\.Nothing'/);
    assert.equal(r.count, null);
  });
});

describe('mbpath -j and cyrus.index headers', () => {
  test('mbpath -j objects; the unknown name is only on stderr', () => {
    const p = parseMbpathJson(fx('mbpath-j.txt').toString());
    assert.deepEqual(p.map((x) => x.intname), ['user.alice.Archive', 'user.alice.Gr&APwA3w-e &AMQ-rger']);
    assert.match(p[0]!.data, /\/uuid\/.\/.\/[a-z0-9]+$/);
    assert.match(fx('mbpath-j.stderr').toString(), /Invalid mailbox name: 'user.nobody'/);
  });
  test('index header of user.alice.Archive agrees with mbexamine', () => {
    const bin = fx('index-headers.bin');
    const paths = [...bin.toString('latin1').matchAll(/==> (.*?) <==\n/g)].map((m) => m[1]!);
    assert.equal(paths.length, 2);
    const chunks = splitHeadOutput(bin, paths, 160);
    const read = parseIndexHeader(chunks.get(paths[1]!)!);
    assert.ok(read.ok, JSON.stringify(read));
    const archive = read.header;
    const ex = fx('mbexamine.txt').toString();
    // mbexamine.txt was captured before unexpunge -u: it is the same state as index-headers.bin
    assert.equal(archive.exists, Number(/Number of Messages: (\d+)/.exec(ex)![1]));
    assert.equal(archive.size, Number(/Mailbox Size: (\d+)/.exec(ex)![1]));
    assert.equal(archive.lastUid, Number(/Last UID: (\d+)/.exec(ex)![1]));
    assert.equal(archive.uidvalidity, Number(/UIDValidity: (\d+)/.exec(ex)![1]));
    assert.equal(archive.minorVersion, 17);
    assert.deepEqual(parseIndexHeader(Buffer.alloc(10)), { ok: false, minorVersion: null, reason: 'cyrus.index holds 10 bytes, too few for an index header' });
  });
});

describe('Cyrus 3.6.1 and 3.10.2 side by side (test/fixtures/cyrus310)', () => {
  const fx310 = (n: string) => readFileSync(join(__dirname, '../../fixtures/cyrus310', n));
  for (const label of ['3.6', '3.10']) {
    test(`${label}: ctl_mboxlist -d skips the tombstones a delete and an undelete leave`, async () => {
      const dump = fx310(`ctl_mboxlist-d.${label}.json`);
      const all = dump.toString('utf8').split('\n').map(parseMboxlistLine).filter((e) => e !== null);
      const tombstones = all.filter((e) => e.mbtype.includes('d')).map((e) => e.name.replace(/\.[0-9A-F]{8}$/, '.HEX'));
      assert.deepEqual(tombstones.sort(), ['DELETED.user.alice.Undone.HEX', 'user.alice.Old']);
      const live = [];
      for await (const e of readMboxlist(readLines(Readable.from([dump])))) live.push(e.name.replace(/\.[0-9A-F]{8}$/, '.HEX'));
      assert.deepEqual(live.sort(), ['DELETED.user.alice.Old.HEX', 'user.alice', 'user.alice.Archive', 'user.alice.Empty', 'user.alice.Gr&APwA3w-e &AMQ-rger', 'user.alice.Undone', 'user.alice.Work Stuff', 'user.bob']);
    });
    test(`${label}: unexpunge -l lists the two expunged messages of Archive`, () => {
      const { records, failure } = parseUnexpungeList(fx310(`unexpunge-l.${label}.txt`));
      assert.equal(failure, null);
      assert.deepEqual(records.map((r) => [r.uid, r.subject]), [[2, 'He said "hello" \\ and left'], [3, 'GrXXXXe aus KXXln']]);
      assert.ok(records.every((r) => r.expunged !== null && r.size > 0));
    });
  }
});
