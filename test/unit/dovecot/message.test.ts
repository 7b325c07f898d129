/**
 * The Dovecot message reader's parsing (src/core/dovecot/message.ts) on REAL `doveadm -f pager fetch` output
 * captured from the sandbox by test/fixtures/dovecot/message-capture.sh (message-*.json: stdout as base64).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MESSAGE_FETCH_FIELDS, PagerMessageReader, messageQuery, type PagerRecord } from '../../../src/core/dovecot/message';
import { previewMessage } from '../../../src/core/mail/mime';

const FIX = join(__dirname, '../../fixtures/dovecot');
interface Capture {
  command: string;
  exitCode: number;
  stdout: Buffer;
  stderr: string;
}
function capture(name: string): Capture {
  const j = JSON.parse(readFileSync(join(FIX, `message-${name}.json`), 'utf8')) as { command: string; exitCode: number; stdoutBase64: string; stderr: string };
  return { command: j.command, exitCode: j.exitCode, stdout: Buffer.from(j.stdoutBase64, 'base64'), stderr: j.stderr };
}

/** Feed the output in chunks of `size` bytes; returns the record and how many bytes were consumed before stopping. */
function read(out: Buffer, size: number, accept: (f: Record<string, string>) => boolean = () => true, maxBytes = 2 * 1024 * 1024): { rec: PagerRecord | null; consumed: number; reader: PagerMessageReader } {
  const reader = new PagerMessageReader(maxBytes, accept);
  let consumed = 0;
  for (let i = 0; i < out.length; i += size) {
    const chunk = out.subarray(i, i + size);
    consumed += chunk.length;
    if (reader.push(chunk)) return { rec: reader.found, consumed, reader };
  }
  return { rec: reader.end(), consumed, reader };
}

const CHUNKS = [1, 3, 17, 4096, 1 << 30];

describe('the captured commands', () => {
  test('every capture ran the reader\'s fields, text last', () => {
    for (const n of ['multipart-alternative', 'encoded-subject', 'latin1', 'mixed', 'big', 'two-records', 'pattern', 'hostile-folder', 'missing-uid']) {
      const c = capture(n);
      assert.ok(c.command.includes(`-f pager fetch -u carol ${MESSAGE_FETCH_FIELDS.join(' ')} `), c.command);
      assert.equal(c.exitCode, 0);
      assert.equal(c.stderr, '');
    }
  });
});

describe('PagerMessageReader on real output', () => {
  test('one record: fields, then exactly size.physical bytes of text, whatever the chunking', () => {
    const out = capture('multipart-alternative').stdout;
    for (const size of CHUNKS) {
      const { rec } = read(out, size);
      assert.ok(rec, `chunk ${size}`);
      assert.equal(rec.fields.mailbox, 'INBOX');
      assert.equal(rec.fields.uid, '2');
      assert.match(rec.fields.guid!, /,S=\d+/);
      assert.equal(rec.text.length, Number(rec.fields['size.physical']));
      assert.equal(rec.truncated, false);
      assert.ok(rec.text.toString('utf8').startsWith('Return-Path: <sender2@example.test>\n'));
      assert.ok(out.subarray(out.length - rec.text.length).equals(rec.text), 'the text is the output after "text:\\n", byte for byte');
    }
  });

  test('two records: a "\\f\\n" line inside the first message does not end it (framed by size.physical)', () => {
    const out = capture('two-records').stdout;
    const mixed = capture('mixed').stdout;
    const latin1 = capture('latin1').stdout;
    const end = out.indexOf('\f\nmailbox: INBOX\nuid: 6\n') + 2;
    assert.ok(end > 2);
    for (const size of CHUNKS) {
      const first = read(out, size, (f) => f.uid === '5');
      assert.equal(first.rec?.fields.uid, '5');
      assert.ok(first.rec.text.includes('\f\n'), 'the message holds the separator sequence');
      assert.ok(mixed.subarray(mixed.length - first.rec.text.length).equals(first.rec.text), 'same bytes as the single fetch');
      assert.ok(first.consumed < end + size, `stops reading after the wanted record (${first.consumed} bytes of ${out.length} read in chunks of ${size})`);
      const second = read(out, size, (f) => f.uid === '6');
      assert.equal(second.rec?.fields.uid, '6');
      assert.equal(second.reader.skipped, 1);
      assert.ok(latin1.subarray(latin1.length - second.rec.text.length).equals(second.rec.text));
    }
  });

  test('a mailbox pattern matching two mailboxes: the one asked for is picked', () => {
    const out = capture('pattern').stdout;
    const a = read(out, 64, (f) => f.mailbox === 'Archive/2023');
    assert.equal(a.rec?.fields.mailbox, 'Archive/2023');
    assert.equal(a.reader.skipped, 1);
    assert.match(a.rec.text.toString(), /Message-ID: <seed\.carol\.archive-2023\.2@sandbox\.mailops\.test>/);
    const b = read(out, 64, (f) => f.mailbox === 'Archive');
    assert.match(b.rec!.text.toString(), /Message-ID: <seed\.carol\.archive\.2@sandbox\.mailops\.test>/);
    assert.equal(read(out, 64, (f) => f.mailbox === 'Other').rec, null);
  });

  test('the cap: only maxBytes are kept, reading stops early, the real size is known', () => {
    const out = capture('big').stdout;
    const { rec, consumed } = read(out, 1024, () => true, 4096);
    assert.ok(rec);
    assert.equal(rec.truncated, true);
    assert.equal(rec.text.length, 4096);
    assert.equal(rec.textSize, Number(rec.fields['size.physical']));
    assert.ok(rec.textSize > 30_000, String(rec.textSize));
    assert.ok(consumed <= 4096 + 1024 + 200, `stopped after ${consumed} of ${out.length} bytes`);
    const p = previewMessage(rec.text, { truncated: true, totalSize: rec.textSize });
    assert.equal(p.truncated, true);
    assert.equal(p.totalSize, rec.textSize);
    assert.equal(p.subject, 'big');
    assert.match(p.text, /^line 00001: the quick brown fox jumps over the lazy dog, grüße\.\n/);
    assert.match(p.text, new RegExp(`\\[Mailops: message truncated: only the first 4 KiB \\(4096 bytes\\) of [\\d.]+ KiB \\(${rec.textSize} bytes\\) were read; the rest is not shown\\]\\n$`));
    // The whole message with a cap above its size is not truncated.
    const whole = read(out, 1024).rec!;
    assert.equal(whole.truncated, false);
    assert.equal(previewMessage(whole.text).text.split('\n').filter((l) => l.startsWith('line ')).length, 600);
  });

  test('a missing UID or mailbox prints nothing (exit 0): no record', () => {
    for (const n of ['missing-uid', 'missing-mailbox']) {
      const c = capture(n);
      assert.equal(c.exitCode, 0);
      assert.equal(c.stdout.length, 0);
      assert.equal(read(c.stdout, 10).rec, null);
    }
    const u = capture('no-user');
    assert.equal(u.exitCode, 67);
    assert.match(u.stderr, /User doesn't exist/);
  });

  test('the hostile folder name comes back as data', () => {
    const { rec } = read(capture('hostile-folder').stdout, 7);
    assert.equal(rec?.fields.mailbox, "$(touch $(printf '\\57tmp\\57mailops-pwned'));`id`");
    assert.equal(previewMessage(rec.text).messageId, '<seed.carol.shellmeta.1@sandbox.mailops.test>');
  });
});

describe('previews of the captured messages', () => {
  const one = (n: string) => previewMessage(read(capture(n).stdout, 1 << 30).rec!.text);

  test('the seed multipart/alternative: plain text, HTML as a string, no attachments', () => {
    const p = one('multipart-alternative');
    assert.equal(p.subject, '[inbox] message #2 for carol');
    assert.equal(p.from, 'Sender 2 <sender2@example.test>');
    assert.equal(p.to, 'carol <carol@sandbox.mailops.test>');
    assert.equal(p.dateIso, '2024-01-01T10:00:00.000Z');
    assert.equal(p.messageId, '<seed.carol.inbox.2@sandbox.mailops.test>');
    assert.equal(p.text, 'Hello carol,\n\nthis is message 2 of folder inbox (plain part).\nSchöne Grüße\n');
    assert.equal(p.html, '<html><body><p>Hello carol,</p><p>this is message <b>2</b> of folder <i>inbox</i> (HTML part).</p></body></html>\n');
    assert.deepEqual(p.attachments, []);
    assert.equal(p.truncated, false);
  });

  test('the seed RFC 2047 subject', () => {
    const p = one('encoded-subject');
    assert.equal(p.subject, 'Grüße – inbox #3');
    assert.deepEqual(p.headers.find(([k]) => k === 'Subject'), ['Subject', 'Grüße – inbox #3']);
    assert.equal(p.html, null);
  });

  test('8-bit Latin-1 body: exact bytes through the pager formatter, decoded by its charset; -f json loses them', () => {
    const p = one('latin1');
    assert.equal(p.text, 'Café crème brûlée ÿ end\n');
    assert.equal(p.subject, 'Café raw 8-bit UTF-8 subject');
    assert.equal(p.from, 'René <r@example.test>');
    const json = JSON.parse(capture('latin1-as-json').stdout.toString('utf8')) as Array<Record<string, string>>;
    assert.match(json[0]!.text!, /Caf\uFFFD cr\uFFFDme/, 'doveadm -f json replaces bytes that are not UTF-8');
  });

  test('multipart/mixed: QP text, base64 HTML, RFC 2231 attachment name, inline image', () => {
    const p = one('mixed');
    assert.equal(p.from, 'Jürgen Müller <jm@example.test>');
    assert.equal(p.cc, 'Zöe <zoe@example.test>, plain@example.test');
    assert.equal(p.subject, 'Rechnung für März');
    assert.equal(p.text, 'Schöne Grüße, the invoice is attached. A long line that is wrapped softly.\n\f\nAfter a form feed.');
    assert.equal(p.html, '<html><body><p>Schöne Grüße</p><script>alert(1)</script><img src="cid:logo"></body></html>');
    assert.deepEqual(p.attachments, [
      { partId: '2', name: 'Rechnung März.pdf', type: 'application/pdf', size: 3000, disposition: 'attachment' },
      { partId: '3', name: null, type: 'image/png', size: 200, disposition: 'inline' },
    ]);
  });

  test('cut inside the attachment: text and HTML intact, the attachment marked truncated', () => {
    const full = read(capture('mixed').stdout, 1 << 30).rec!.text;
    const at = full.indexOf('Content-Transfer-Encoding: base64', full.indexOf('application/pdf')) + 200;
    const p = previewMessage(full.subarray(0, at), { truncated: true, totalSize: full.length });
    assert.match(p.text, /^Schöne Grüße, the invoice is attached\./);
    assert.ok(p.html?.includes('<p>Schöne Grüße</p>'));
    assert.equal(p.attachments.length, 1);
    assert.equal(p.attachments[0]!.truncated, true);
    assert.ok(p.attachments[0]!.size < 3000);
    assert.match(p.text, /\[Mailops: message truncated: only the first/);
  });
});

describe('messageQuery', () => {
  test('names stay one argument; UIDs and GUIDs are checked', () => {
    const hostile = "$(touch /tmp/mailops-pwned) `id` *";
    assert.deepEqual(messageQuery({ mailbox: hostile, uid: 3 }, hostile), ['mailbox', hostile, 'uid', '3']);
    assert.deepEqual(messageQuery({ mailboxGuid: '0123456789abcdef0123456789abcdef', uid: 1 }, undefined), ['mailbox-guid', '0123456789abcdef0123456789abcdef', 'uid', '1']);
    assert.deepEqual(messageQuery({ guid: '1795323248.M44412P7574.vm,S=5483,W=5582' }, 'EXPUNGED'), ['mailbox', 'EXPUNGED', 'guid', '1795323248.M44412P7574.vm,S=5483,W=5582']);
    assert.throws(() => messageQuery({ mailbox: 'INBOX', uid: 0 }, 'INBOX'), /not a UID/);
    assert.throws(() => messageQuery({ mailbox: 'INBOX', uid: 1.5 }, 'INBOX'), /not a UID/);
    assert.throws(() => messageQuery({ guid: 'a b' }, undefined), /not a message GUID/);
    assert.throws(() => messageQuery({ mailboxGuid: 'x', uid: 1 }, undefined), /not a mailbox GUID/);
  });
});
