import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { alignToLineStart, countNewlines, splitAtLastNewline, windowRequest } from '../../../src/core/logs/range';
import { FollowParser, parseReadOutput, READ_SCRIPT, type FollowEvent } from '../../../src/core/logs/remoteFile';
import { parseDiscovery } from '../../../src/core/logs/discover';

/** What a line-aligned window must be: the complete lines of text[max(0,end-max) ..end) that start inside it. */
function expectedWindow(text: Buffer, end: number, max: number): { start: number; bytes: Buffer } {
  const from = Math.max(0, end - max);
  let start = from;
  if (from > 0 && text[from - 1] !== 0x0a) {
    const nl = text.indexOf(0x0a, from);
    start = nl < 0 || nl + 1 > end ? -1 : nl + 1;
  }
  if (start < 0) return { start: -1, bytes: Buffer.alloc(0) };
  return { start, bytes: text.subarray(start, end) };
}

describe('line-aligned windows', () => {
  it('reads one byte before the window to know whether it starts a line', () => {
    assert.deepEqual(windowRequest(100, 10), { offset: 89, length: 11, probe: true });
    assert.deepEqual(windowRequest(5, 10), { offset: 0, length: 5, probe: false });
    assert.deepEqual(windowRequest(10, 10), { offset: 0, length: 10, probe: false });
    assert.deepEqual(windowRequest(11, 10), { offset: 0, length: 11, probe: true });
    assert.throws(() => windowRequest(-1, 10), RangeError);
    assert.throws(() => windowRequest(10, 0), RangeError);
  });

  it('keeps a window that starts exactly at a line start, drops a partial first line', () => {
    const text = Buffer.from('aaa\nbbb\nccc\n');
    // window of 4 ending at 12: starts at 8 ("ccc\n"); the byte before (offset 7) is "\n"
    const req = windowRequest(12, 4);
    const w = alignToLineStart(text.subarray(req.offset, req.offset + req.length), req.offset);
    assert.equal(w.start, 8);
    assert.equal(w.bytes.toString(), 'ccc\n');
    // window of 6 ending at 12 starts mid "bbb": only "ccc\n" is shown
    const req2 = windowRequest(12, 6);
    const w2 = alignToLineStart(text.subarray(req2.offset, req2.offset + req2.length), req2.offset);
    assert.equal(w2.start, 8);
    assert.equal(w2.bytes.toString(), 'ccc\n');
  });

  it('shows the end of a line longer than the window rather than nothing', () => {
    const text = Buffer.from('x'.repeat(100));
    const req = windowRequest(100, 10);
    const w = alignToLineStart(text.subarray(req.offset, req.offset + req.length), req.offset);
    assert.equal(w.partialFirstLine, true);
    assert.equal(w.start, 90);
    assert.equal(w.bytes.length, 10);
  });

  it('matches a brute-force line split for any text, end and window (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', '\n', 'é'), { maxLength: 80 }), fc.nat(), fc.integer({ min: 1, max: 40 }), (chars, e, max) => {
        const text = Buffer.from(chars.join(''), 'utf8');
        const end = text.length === 0 ? 0 : e % (text.length + 1);
        const req = windowRequest(end, max);
        const w = alignToLineStart(text.subarray(req.offset, req.offset + req.length), req.offset, req.probe);
        const want = expectedWindow(text, end, max);
        assert.equal(w.end, end);
        if (want.start >= 0) {
          assert.equal(w.start, want.start);
          assert.deepEqual(w.bytes, want.bytes);
          assert.equal(w.partialFirstLine, false);
        } else {
          assert.ok(w.partialFirstLine || w.bytes.length === 0);
          assert.deepEqual(w.bytes, text.subarray(w.start, end));
        }
        assert.ok(w.bytes.length <= max);
      }),
    );
  });

  it('counts and splits lines', () => {
    assert.equal(countNewlines(Buffer.from('a\nb\n\nc')), 3);
    assert.equal(countNewlines(Buffer.alloc(0)), 0);
    const s = splitAtLastNewline(Buffer.from('a\nb\npart'));
    assert.equal(s.complete.toString(), 'a\nb\n');
    assert.equal(s.rest.toString(), 'part');
  });
});

describe('the read script, run by a real sh on a real file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailops-logs-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'a file with spaces & $(quotes).log');
  const content = Buffer.from(Array.from({ length: 500 }, (_, i) => `line ${i} ü\n`).join(''), 'utf8');
  writeFileSync(file, content);
  const run = (off: string, len: string) => execFileSync('sh', ['-c', READ_SCRIPT, 'mailops-read', file, off, len]);

  it('returns exactly the asked byte range and the stat', () => {
    for (const [off, len] of [[0, 10], [123, 456], [content.length - 5, 100], [content.length, 10]] as const) {
      const r = parseReadOutput(file, run(String(off), String(len)));
      assert.equal(r.stat.size, content.length);
      assert.equal(r.offset, off);
      assert.deepEqual(r.bytes, content.subarray(off, Math.min(content.length, off + len)));
    }
  });

  it('reads N bytes before the end with -N', () => {
    const r = parseReadOutput(file, run('-1001', ''));
    assert.equal(r.offset, content.length - 1001);
    assert.deepEqual(r.bytes, content.subarray(content.length - 1001));
    const w = alignToLineStart(r.bytes, r.offset, true);
    assert.ok(w.bytes.toString('utf8').startsWith('line '));
    assert.ok(w.bytes.toString('utf8').endsWith('line 499 ü\n'));
  });

  it('exits 66 for a missing file', () => {
    assert.throws(() => execFileSync('sh', ['-c', READ_SCRIPT, 'mailops-read', join(dir, 'nope'), '0', '1'], { stdio: 'pipe' }), (e: { status: number }) => e.status === 66);
  });
});

describe('follow frames', () => {
  const stream = Buffer.concat([
    Buffer.from('MAILOPS-DATA 100 6\nab\ncd\n'),
    Buffer.from('MAILOPS-RESET truncated 3\nMAILOPS-DATA 0 3\nxy\n'),
    Buffer.from('MAILOPS-MISSING\nMAILOPS-RESET replaced 0\nMAILOPS-SKIP 0 50\nMAILOPS-DATA 50 4\nMAIL'),
    Buffer.from('MAILOPS-DATA 54 2\n\0\0MAILOPS-SHORT 54 0\n'),
  ]);

  /** Merge consecutive data events so chunking does not matter. */
  function collect(chunks: Buffer[]): FollowEvent[] {
    const out: FollowEvent[] = [];
    const p = new FollowParser((e) => {
      const last = out.at(-1);
      if (e.kind === 'data' && last?.kind === 'data' && last.offset + last.bytes.length === e.offset) last.bytes = Buffer.concat([last.bytes, e.bytes]);
      else out.push(e.kind === 'data' ? { ...e, bytes: Buffer.from(e.bytes) } : e);
    });
    for (const c of chunks) p.push(c);
    return out;
  }

  const expected: FollowEvent[] = [
    { kind: 'data', offset: 100, bytes: Buffer.from('ab\ncd\n') },
    { kind: 'reset', reason: 'truncated', size: 3 },
    { kind: 'data', offset: 0, bytes: Buffer.from('xy\n') },
    { kind: 'missing' },
    { kind: 'reset', reason: 'replaced', size: 0 },
    { kind: 'skip', from: 0, to: 50 },
    { kind: 'data', offset: 50, bytes: Buffer.from('MAIL\0\0') },
    { kind: 'reset', reason: 'truncated', size: 0 },
  ];

  it('parses frames, data that looks like a frame included', () => {
    assert.deepEqual(collect([stream]), expected);
  });

  it('gives the same events whatever the chunk boundaries (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let prev = 0;
        for (const p of points) {
          chunks.push(stream.subarray(prev, p));
          prev = p;
        }
        chunks.push(stream.subarray(prev));
        assert.deepEqual(collect(chunks), expected);
      }),
    );
  });

  it('refuses an unknown frame', () => {
    assert.throws(() => new FollowParser(() => undefined).push(Buffer.from('hello\n')), /unknown frame/);
  });
});

describe('log discovery output', () => {
  it('parses NUL-separated records, decodes accounts, sorts run logs first and newest first', () => {
    const recs = [
      'mail 1700000000 10 /var/log/mail.log',
      'run-dovecot 1700000100 20 /var/backups/mailops/dovecot/alice/logs/20231114T221500Z-backup.log',
      'run-dovecot 1700000200 30 /var/backups/mailops/dovecot/o%27neil%20%C3%BC/logs/20231114T221640Z-backup.log',
      'dovecot 1700000300 40 /var/log/dove cot.log',
      'mail 1700000400 50 /var/log/dove cot.log',
      'run-cyrus 1700000050 60 /var/backups/mailops/cyrus/logs/x.log',
    ];
    const logs = parseDiscovery(Buffer.from(recs.join('\0') + '\0'), '/var/backups/mailops/');
    assert.deepEqual(
      logs.map((l) => [l.kind, l.path, l.account]),
      [
        ['run-dovecot', '/var/backups/mailops/dovecot/o%27neil%20%C3%BC/logs/20231114T221640Z-backup.log', "o'neil ü"],
        ['run-dovecot', '/var/backups/mailops/dovecot/alice/logs/20231114T221500Z-backup.log', 'alice'],
        ['run-cyrus', '/var/backups/mailops/cyrus/logs/x.log', undefined],
        ['dovecot', '/var/log/dove cot.log', undefined],
        ['mail', '/var/log/mail.log', undefined],
      ],
    );
    assert.equal(logs[0]!.mtimeMs, 1700000200_000);
    assert.equal(logs[0]!.size, 30);
  });
});
