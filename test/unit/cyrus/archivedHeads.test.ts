/**
 * ArchivedHeadsParser (issue 11.12) on output of the REAL tools: the extraction's own listing pipeline
 * (find -printf, then xargs head -v -c) is run here on generated message files, and its bytes are fed to the
 * parser in chunks of every size. Batches of xargs are forced small (-n) so that a head run starting without
 * head's blank separator is covered too.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArchivedHeadsError, ArchivedHeadsParser } from '../../../src/core/cyrus/archivedHeads';

const HEAD_MAX = 1024;
let dir: string;

/** The listing part of EXTRACT_SCRIPT (restore.ts), with the batch size of xargs as a parameter. */
const LIST_SCRIPT = String.raw`set -eu
cd "$1"; headmax=$2; batch=$3
find . -maxdepth 1 -type f -name '[0-9]*.' -printf '%f %s\n' >"$1/../list"
printf '==LIST==\n'; cat "$1/../list"; printf '==HEADS==\n'
[ -s "$1/../list" ] || exit 0
cut -d' ' -f1 "$1/../list" | tr '\n' '\0' | xargs -0 -n "$batch" head -v -c "$headmax" --`;

function listing(sub: string, batch: number): Buffer {
  return execFileSync('sh', ['-c', LIST_SCRIPT, 'list', join(dir, sub), String(HEAD_MAX), String(batch)]);
}

function parse(out: Buffer, chunk: number): ArchivedHeadsParser {
  const p = new ArchivedHeadsParser(HEAD_MAX);
  for (let i = 0; i < out.length; i += chunk) p.push(out.subarray(i, i + chunk));
  p.end();
  return p;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mailops-heads-'));
  execFileSync('mkdir', ['-p', join(dir, 'box', 'sub'), join(dir, 'empty', 'sub')]);
  const d = join(dir, 'box', 'sub');
  // 1.: small; 2.: its body imitates the next head's header; 3.: longer than HEAD_MAX, header within it;
  // 10.: no trailing newline; 4.: empty file; a non-message file that must not be listed.
  writeFileSync(join(d, '1.'), 'From: a@example.org\r\nSubject: one\r\nMessage-ID: <one@x>\r\n\r\nbody\r\n');
  writeFileSync(join(d, '2.'), 'Subject: two\r\nMessage-ID: <two@x>\r\n\r\n\n==> 3. <==\nSubject: forged\r\n\r\n');
  writeFileSync(join(d, '3.'), `Subject: three\r\nMessage-ID: <three@x>\r\n\r\n${'y'.repeat(5000)}`);
  writeFileSync(join(d, '10.'), 'Subject: ten\r\nMessage-ID: <ten@x>\r\n\r\nno newline at the end');
  writeFileSync(join(d, '4.'), '');
  writeFileSync(join(d, 'cyrus.index'), 'not a message');
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('ArchivedHeadsParser on find + xargs head -v output', () => {
  test('every file listed and summarised, whatever the chunk and xargs batch sizes', () => {
    for (const batch of [1, 2, 1000]) {
      const out = listing('box/sub', batch);
      for (const chunk of [1, 7, 64, 1023, 1024, 1025, out.length]) {
        const p = parse(out, chunk);
        const byUid = new Map(p.messages.map((m) => [m.uid, m]));
        assert.deepEqual([...byUid.keys()].sort((a, b) => a - b), [1, 2, 3, 4, 10], `batch ${batch}, chunk ${chunk}`);
        assert.equal(byUid.get(1)!.subject, 'one');
        assert.equal(byUid.get(2)!.subject, 'two');
        assert.equal(byUid.get(2)!.messageId, '<two@x>');
        assert.equal(byUid.get(3)!.subject, 'three');
        assert.equal(byUid.get(3)!.size, 5000 + 'Subject: three\r\nMessage-ID: <three@x>\r\n\r\n'.length);
        assert.equal(byUid.get(10)!.subject, 'ten');
        assert.equal(byUid.get(4)!.size, 0);
        // at most one head (HEAD_MAX) plus the chunk being read is ever held
        assert.ok(p.peakBuffered <= HEAD_MAX + chunk + 64, `held ${p.peakBuffered} bytes with chunks of ${chunk}`);
      }
    }
  });

  test('an empty folder: a list with no files and no heads', () => {
    const p = parse(listing('empty/sub', 10), 5);
    assert.deepEqual(p.messages, []);
  });

  test('output cut short, an extra byte, a missing list, a foreign line: each an error, never a shorter list', () => {
    const out = listing('box/sub', 1000);
    assert.throws(() => parse(out.subarray(0, out.length - 3), 100), (e: Error) => e instanceof ArchivedHeadsError && /output ended after 4 of 5 message heads/.test(e.message));
    assert.throws(() => parse(Buffer.concat([out, Buffer.from('x')]), 100), /1 unexpected bytes after the last message head/);
    assert.throws(() => parse(Buffer.from(''), 1), /printed no file list/);
    assert.throws(() => parse(Buffer.from('==LIST==\n1. 5\n'), 100), /no ==HEADS== line/);
    assert.throws(() => parse(Buffer.from('==LIST==\n../x. 5\n==HEADS==\n'), 100), /unexpected line in the file list/);
    assert.throws(() => parse(Buffer.from('==LIST==\n1. 2\n1. 2\n==HEADS==\n'), 100), /names 1\. twice/);
    assert.throws(() => parse(Buffer.from('==LIST==\n1. 2\n2. 2\n==HEADS==\n==> 2. <==\nab\n==> 1. <==\nab'), 100), /expected the head of 1\. next/);
    assert.throws(() => parse(Buffer.from('tar: oops\n'), 100), /where its file list should start/);
  });
});
