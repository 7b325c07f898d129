/**
 * cyrus.index headers of every version Cyrus 3.x writes. Versions 17 (Cyrus 3.6.1) and 19 (Cyrus 3.10.2) are
 * REAL headers captured by test/fixtures/cyrus310/capture.sh, checked against what IMAP (EXAMINE as the owner)
 * and mbexamine say of the same folders. The other versions are BUILT FROM THE SOURCE, not captured: their
 * headers are laid out here field by field in the order of cyrus-imapd's imap/index_file.c templates (and the
 * OFFSET_* of imap/mailbox.h at the release tags), an independent transcription from indexHeader.ts's offset
 * table. The same transcription is checked against the real 17 and 19 headers.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { INDEX_HEADER_READ_BYTES, INDEX_LAYOUTS, KNOWN_INDEX_VERSIONS, parseIndexHeader, type IndexHeader } from '../../../src/core/cyrus/indexHeader';
import { parseMbexamine } from '../../../src/core/cyrus/mbexamine';
import { isTombstone, parseMboxlistLine, parseMbpathJson, splitHeadOutput } from '../../../src/core/cyrus/parse';
import { toMailbox, type CyrusMailbox } from '../../../src/core/cyrus/mailboxes';

const fx = (n: string) => readFileSync(join(__dirname, '../../fixtures/cyrus310', n));

// ---------------------------------------------------------------- layouts transcribed from the source

type Field = readonly [name: string, bytes: number];
const BASE: Field[] = [['generation_no', 4], ['format', 4], ['minor_version', 4], ['start_offset', 4], ['record_size', 4], ['num_records', 4]];
const COMMON: Field[] = [['last_appenddate', 4], ['last_uid', 4], ['quota_mailbox_used', 8], ['pop3_last_login', 4], ['uidvalidity', 4], ['deleted', 4], ['answered', 4], ['flagged', 4]];
const V08: Field[] = [...COMMON, ['options', 4], ['leaked_cache_records', 4], ['highestmodseq', 8]];
const V12: Field[] = [...V08, ['deletedmodseq', 8], ['exists', 4], ['first_expunged', 4], ['last_repack_time', 4], ['header_file_crc', 4], ['synccrcs.basic', 4], ['recentuid', 4], ['recenttime', 4]];
const V13: Field[] = [...V12, ['pop3_show_after', 4], ['quota_annot_used', 4], ['synccrcs.annot', 4]];
const V14: Field[] = [...V13, ['unseen', 4]];
const V16: Field[] = [...V14, ['createdmodseq', 8]];
const V17: Field[] = [...V16, ['changes_epoch', 4]];
const V18: Field[] = [...V17, ['quota_deleted_used', 8], ['quota_expunged_used', 8]];
// v19 "rearranged fields so modseq_t & quota_t fall on 8-byte boundaries"
const V19: Field[] = [
  ...COMMON, ['exists', 4], ['options', 4], ['leaked_cache_records', 4], ['highestmodseq', 8], ['deletedmodseq', 8], ['first_expunged', 4],
  ['last_repack_time', 4], ['header_file_crc', 4], ['synccrcs.basic', 4], ['recentuid', 4], ['recenttime', 4], ['pop3_show_after', 4],
  ['quota_annot_used', 4], ['synccrcs.annot', 4], ['unseen', 4], ['createdmodseq', 8], ['quota_deleted_used', 8], ['quota_expunged_used', 8], ['changes_epoch', 4],
];
// v20 "grew size of time fields and quota_annot_used to 64-bits" (times in nanoseconds)
const V20: Field[] = [
  ['last_appenddate', 8], ['quota_mailbox_used', 8], ['pop3_last_login', 8], ['deleted', 4], ['answered', 4], ['flagged', 4], ['exists', 4], ['options', 4],
  ['leaked_cache_records', 4], ['highestmodseq', 8], ['deletedmodseq', 8], ['last_uid', 4], ['uidvalidity', 4], ['header_file_crc', 4], ['synccrcs.basic', 4],
  ['recenttime', 8], ['pop3_show_after', 8], ['synccrcs.annot', 4], ['unseen', 4], ['createdmodseq', 8], ['quota_deleted_used', 8], ['quota_expunged_used', 8],
  ['quota_annot_used', 8], ['changes_epoch', 8], ['first_expunged', 8], ['last_repack_time', 8], ['recentuid', 4],
];
/** version → fields after BASE (spare bytes fill up to the CRC), header and record sizes of the template. */
const SOURCE: Record<number, { fields: Field[]; header: number; record: number }> = {
  12: { fields: V12, header: 128, record: 96 },
  13: { fields: V13, header: 128, record: 104 },
  14: { fields: V14, header: 160, record: 104 },
  15: { fields: V14, header: 160, record: 104 },
  16: { fields: V16, header: 160, record: 112 },
  17: { fields: V17, header: 160, record: 112 },
  18: { fields: V18, header: 160, record: 112 },
  19: { fields: V19, header: 160, record: 112 },
  20: { fields: V20, header: 192, record: 144 },
};

function offsets(version: number): Map<string, { at: number; bytes: number }> {
  const m = new Map<string, { at: number; bytes: number }>();
  let at = 0;
  for (const [name, bytes] of [...BASE, ...SOURCE[version]!.fields]) {
    m.set(name, { at, bytes });
    at += bytes;
  }
  assert.ok(at <= SOURCE[version]!.header - 4, `version ${version}: fields run to ${at}, past the CRC`);
  return m;
}

const SAMPLE = { numRecords: 7, exists: 5, lastUid: 9, uidvalidity: 1_700_000_000, size: 12_345, lastAppend: 1_700_000_100 };

/** A header of `version` as Cyrus's source lays it out, every field not set filled with 0xA5 (never a plain 0). */
function buildHeader(version: number, opts: { recordSize?: number } = {}): Buffer {
  const src = SOURCE[version]!;
  const b = Buffer.alloc(src.header, 0xa5);
  const o = offsets(version);
  const put = (name: string, v: number | bigint) => {
    const f = o.get(name)!;
    if (f.bytes === 4) b.writeUInt32BE(Number(v), f.at);
    else b.writeBigUInt64BE(BigInt(v), f.at);
  };
  put('generation_no', 0);
  put('format', 0);
  put('minor_version', version);
  put('start_offset', src.header);
  put('record_size', opts.recordSize ?? src.record);
  put('num_records', SAMPLE.numRecords);
  put('exists', SAMPLE.exists);
  put('last_uid', SAMPLE.lastUid);
  put('uidvalidity', SAMPLE.uidvalidity);
  put('quota_mailbox_used', SAMPLE.size);
  put('last_appenddate', o.get('last_appenddate')!.bytes === 8 ? BigInt(SAMPLE.lastAppend) * 1_000_000_000n : SAMPLE.lastAppend);
  b.writeUInt32BE(crc32(b.subarray(0, src.header - 4)), src.header - 4);
  return b;
}

describe('cyrus.index header layouts built from the source (not captured)', () => {
  test('the table covers exactly the versions transcribed from the source, with their sizes', () => {
    assert.deepEqual(KNOWN_INDEX_VERSIONS, Object.keys(SOURCE).map(Number));
    for (const v of KNOWN_INDEX_VERSIONS) {
      assert.equal(INDEX_LAYOUTS[v]!.headerSize, SOURCE[v]!.header, `version ${v} header size`);
      assert.ok(INDEX_LAYOUTS[v]!.recordSizes.includes(SOURCE[v]!.record), `version ${v} record size`);
    }
    assert.equal(INDEX_HEADER_READ_BYTES, 192);
  });
  for (const v of Object.keys(SOURCE).map(Number)) {
    test(`version ${v}: count, last UID, UIDVALIDITY, size, last append`, () => {
      const r = parseIndexHeader(buildHeader(v));
      assert.ok(r.ok, JSON.stringify(r));
      assert.deepEqual(r.header, { minorVersion: v, ...SAMPLE } satisfies IndexHeader);
    });
  }
  test('version 19 followed by version 20 records (144 bytes) is read, as upstream reads it', () => {
    const r = parseIndexHeader(buildHeader(19, { recordSize: 144 }));
    assert.ok(r.ok && r.header.exists === SAMPLE.exists, JSON.stringify(r));
  });
  test('more bytes than the header (the start of the first record) change nothing', () => {
    const b = Buffer.concat([buildHeader(17), Buffer.alloc(32, 0x5a)]);
    const r = parseIndexHeader(b);
    assert.ok(r.ok && r.header.exists === SAMPLE.exists);
  });
});

describe('headers Mailops must not guess at', () => {
  for (const v of [5, 11, 21, 1000]) {
    test(`version ${v} is unknown: no count, a reason`, () => {
      const b = buildHeader(20);
      b.writeUInt32BE(v, 8);
      assert.deepEqual(parseIndexHeader(b), { ok: false, minorVersion: v, reason: `index version ${v} is not known to Mailops (it reads versions 12–20)` });
    });
  }
  test('a damaged header (checksum) is refused', () => {
    const b = buildHeader(19);
    b[60]! ^= 1;
    const r = parseIndexHeader(b);
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.reason : '', /^index version 19: the header checksum does not match/);
  });
  test('a header claiming another size or record size is refused', () => {
    const b = buildHeader(19);
    b.writeUInt32BE(192, 12);
    b.writeUInt32BE(crc32(b.subarray(0, 156)), 156);
    assert.deepEqual(parseIndexHeader(b), { ok: false, minorVersion: 19, reason: 'index version 19: the header states 192 bytes, version 19 headers have 160' });
    const c = buildHeader(17, { recordSize: 144 });
    assert.deepEqual(parseIndexHeader(c), { ok: false, minorVersion: 17, reason: 'index version 17: the header states records of 144 bytes, version 17 records have 112' });
  });
  test('a header cut short is refused', () => {
    assert.deepEqual(parseIndexHeader(buildHeader(20).subarray(0, 160)), { ok: false, minorVersion: 20, reason: 'index version 20: only 160 of the header\'s 192 bytes were read' });
    assert.deepEqual(parseIndexHeader(Buffer.alloc(0)), { ok: false, minorVersion: null, reason: 'cyrus.index holds 0 bytes, too few for an index header' });
  });
});

// ---------------------------------------------------------------- real headers

interface Capture {
  boxes: CyrusMailbox[];
  headers: Map<string, ReturnType<typeof parseIndexHeader>>;
  raw: Map<string, Buffer>;
  examined: ReturnType<typeof parseMbexamine>;
  imap: Record<string, Record<string, { exists: number; uidvalidity: number; uidnext: number }>>;
}

/** The capture read the way Mailops reads a host: mailboxes.db dump → mbpath → head -v -c over cyrus.index. */
function load(label: string): Capture {
  const style = { unixHierarchySep: false };
  const boxes = fx(`ctl_mboxlist-d.${label}.json`).toString('utf8').split('\n').map(parseMboxlistLine)
    .filter((e) => e !== null && !isTombstone(e)).map((e) => toMailbox(e!, style));
  const paths = parseMbpathJson(fx(`mbpath-j.${label}.txt`).toString('utf8'));
  const file = (b: CyrusMailbox) => `${paths.find((p) => p.intname === b.internal)!.meta}/cyrus.index`;
  const raw = splitHeadOutput(fx(`index-headers.${label}.bin`), boxes.map(file), INDEX_HEADER_READ_BYTES);
  const headers = new Map(boxes.map((b) => [b.internal, parseIndexHeader(raw.get(file(b)) ?? Buffer.alloc(0))] as const));
  return { boxes, headers, raw: new Map(boxes.map((b) => [b.internal, raw.get(file(b))!])), examined: parseMbexamine(fx(`mbexamine.${label}.txt`)), imap: JSON.parse(fx(`imap-exists.${label}.json`).toString('utf8')) };
}

for (const [label, minor, pkg] of [['3.6', 17, /^cyrus-common 3\.6\.1-/], ['3.10', 19, /^cyrus-common 3\.10\.2-/]] as const) {
  describe(`real Cyrus ${label} (index version ${minor})`, () => {
    const c = load(label);
    test('captured from that release', () => {
      assert.match(fx(`version.${label}.txt`).toString(), pkg);
    });
    test('every mailbox header is read, at that version', () => {
      assert.equal(c.boxes.length, 8, c.boxes.map((b) => b.internal).join(', '));
      for (const b of c.boxes) {
        const r = c.headers.get(b.internal)!;
        assert.ok(r.ok, `${b.internal}: ${JSON.stringify(r)}`);
        assert.equal(r.header.minorVersion, minor);
      }
    });
    test('counts equal IMAP EXISTS of every seeded folder (and UIDVALIDITY, UIDNEXT)', () => {
      let compared = 0;
      for (const [account, folders] of Object.entries(c.imap)) {
        for (const [folder, st] of Object.entries(folders)) {
          const box = c.boxes.find((b) => b.account === account && b.folder === folder && !b.deleted);
          assert.ok(box, `${account} ${folder} is listed`);
          const r = c.headers.get(box.internal)!;
          assert.ok(r.ok);
          assert.equal(r.header.exists, st.exists, `${account} ${folder}: messages`);
          assert.equal(r.header.uidvalidity, st.uidvalidity, `${account} ${folder}: UIDVALIDITY`);
          assert.equal(r.header.lastUid + 1, st.uidnext, `${account} ${folder}: UIDNEXT`);
          compared++;
        }
      }
      assert.equal(compared, 7, 'alice: INBOX, Archive, Work Stuff, Grüße Ärger, Empty, Undone; bob: INBOX');
    });
    test('counts equal mbexamine: the header Cyrus read and the messages it lists', () => {
      assert.deepEqual(c.examined.map((e) => e.name).sort(), c.boxes.map((b) => b.toolName).sort());
      for (const e of c.examined) {
        const box = c.boxes.find((b) => b.toolName === e.name)!;
        const r = c.headers.get(box.internal)!;
        assert.ok(r.ok);
        assert.equal(e.minorVersion, minor);
        assert.equal(r.header.exists, e.headerMessages, `${e.name}: header count`);
        assert.equal(r.header.exists, e.listed, `${e.name}: messages listed`);
        assert.equal(r.header.size, e.size, `${e.name}: size`);
        assert.equal(r.header.lastUid, e.lastUid, `${e.name}: last UID`);
        assert.equal(r.header.uidvalidity, e.uidvalidity, `${e.name}: UIDVALIDITY`);
      }
    });
    test('expunged messages are not counted; an empty folder is a real 0; a deleted folder keeps its count', () => {
      const get = (name: string) => {
        const r = c.headers.get(name)!;
        assert.ok(r.ok);
        return r.header;
      };
      assert.deepEqual([get('user.alice.Archive').numRecords, get('user.alice.Archive').exists], [6, 4]);
      assert.equal(get('user.alice.Empty').exists, 0);
      const old = c.boxes.find((b) => b.deleted?.original === 'user.alice.Old')!;
      assert.equal(get(old.internal).exists, 2);
    });
    test('the source transcription reads the same fields from the real header', () => {
      const o = offsets(minor);
      for (const b of c.boxes) {
        const raw = c.raw.get(b.internal)!;
        const r = c.headers.get(b.internal)!;
        assert.ok(r.ok);
        assert.equal(raw.readUInt32BE(o.get('exists')!.at), r.header.exists);
        assert.equal(raw.readUInt32BE(o.get('last_uid')!.at), r.header.lastUid);
        assert.equal(raw.readUInt32BE(o.get('uidvalidity')!.at), r.header.uidvalidity);
      }
    });
  });
}

test('Cyrus 3.10 header read at the 3.6 offset gives 0 for folders that hold messages (the bug this table fixes)', () => {
  const c = load('3.10');
  const full = c.boxes.filter((b) => {
    const r = c.headers.get(b.internal)!;
    return r.ok && r.header.exists > 0;
  });
  assert.equal(full.length, 7);
  for (const b of full) assert.equal(c.raw.get(b.internal)!.readUInt32BE(84), 0, b.internal);
});
