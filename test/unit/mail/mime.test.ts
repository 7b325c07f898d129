/**
 * core/mail/mime.ts, the generic MIME reading shared by the Dovecot reader and the Cyrus preview. Whole messages
 * from real servers are tested in test/unit/dovecot/message.test.ts; here the edge rules, each on a small input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeHeader, decodeQuotedPrintable, decodeTransferEncoding, htmlToText, parseHeaderBlock, parseMime, parseStructuredField, previewMessage, splitMessage } from '../../../src/core/mail/mime';
import { parseMessage } from '../../../src/core/cyrus/message';

const b = (s: string) => Buffer.from(s, 'utf8');

test('header/body split: CRLF, LF, none', () => {
  assert.equal(splitMessage(b('A: 1\r\nB: 2\r\n\r\nbody')).body.toString(), 'body');
  assert.equal(splitMessage(b('A: 1\nB: 2\n\nbody\n\nmore')).body.toString(), 'body\n\nmore');
  const none = splitMessage(b('A: 1\nB: 2'));
  assert.equal(none.head.toString(), 'A: 1\nB: 2');
  assert.equal(none.body.length, 0);
  assert.equal(splitMessage(b('\nbody only')).body.toString(), 'body only');
});

test('header fields: unfolded, 8-bit UTF-8 kept, Latin-1 bytes read as Latin-1', () => {
  const h = parseHeaderBlock(Buffer.concat([b('Subject: a\r\n  folded\r\nX-Utf8: Grüße\r\nX-Latin: caf'), Buffer.from([0xe9]), b('\r\nnot a header line\r\n')]));
  assert.deepEqual(h, [['Subject', 'a folded'], ['X-Utf8', 'Grüße'], ['X-Latin', 'café']]);
});

test('RFC 2047: adjacent words joined, invalid words left, unknown charset falls back', () => {
  assert.equal(decodeHeader('=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= =?UTF-8?B?IHdlbHQ=?= !'), 'Grüße welt !');
  assert.equal(decodeHeader('=?ISO-8859-1?Q?Andr=E9?= <a@x>'), 'André <a@x>');
  assert.equal(decodeHeader('=?UTF-8?B?not base64!?='), '=?UTF-8?B?not base64!?=');
  assert.equal(decodeHeader('=?x-unknown?Q?caf=C3=A9?='), 'café');
});

test('structured fields: quoted values, RFC 2231 continuations and charsets', () => {
  const ct = parseStructuredField('Multipart/Mixed; boundary="a;b \\"c\\""; charset=UTF-8 (comment)');
  assert.equal(ct.value, 'multipart/mixed');
  assert.equal(ct.params.boundary, 'a;b "c"');
  const cd = parseStructuredField("attachment; filename*0*=utf-8''R%C3%A9sum; filename*1=\"e final.pdf\"");
  assert.equal(cd.params.filename, 'Résume final.pdf');
  assert.equal(parseStructuredField("inline; name*=iso-8859-1'fr'caf%E9.txt").params.name, 'café.txt');
});

test('transfer encodings: QP soft breaks and a cut "=", base64 with line breaks', () => {
  assert.equal(decodeQuotedPrintable(b('a=3Db=\r\nc=\nd =20\r\n=')).toString(), 'a=bcd  \r\n');
  assert.equal(decodeQuotedPrintable(b('=ZZ')).toString(), '=ZZ');
  assert.equal(decodeTransferEncoding(b('aGVs\r\nbG8=\r\n'), 'BASE64').toString(), 'hello');
  assert.equal(decodeTransferEncoding(b('as is'), '8bit').toString(), 'as is');
});

test('MIME tree: part numbers, nested multipart, a boundary that is a prefix of another', () => {
  const raw = b(['Content-Type: multipart/mixed; boundary=x', '', '--x', 'Content-Type: multipart/alternative; boundary=xx', '', '--xx', '', 'plain', '--xx', 'Content-Type: text/html', '', '<b>h</b>', '--xx--', '--x', 'Content-Type: message/rfc822', '', 'Subject: inner', '', 'inner body', '--x--', ''].join('\n'));
  const t = parseMime(raw);
  assert.deepEqual(t.children.map((c) => [c.partId, c.contentType]), [['1', 'multipart/alternative'], ['2', 'message/rfc822']]);
  assert.deepEqual(t.children[0]!.children.map((c) => [c.partId, c.contentType, c.body.toString()]), [['1.1', 'text/plain', 'plain'], ['1.2', 'text/html', '<b>h</b>']]);
  const p = previewMessage(raw);
  assert.equal(p.text, 'plain');
  assert.equal(p.html, '<b>h</b>');
  assert.deepEqual(p.attachments.map((a) => [a.partId, a.type]), [['2', 'message/rfc822']]);
});

test('an HTML-only message gets a text rendering (tags and scripts dropped), the HTML stays a string', () => {
  const raw = b('Content-Type: text/html; charset=utf-8\n\n<p>Hi &amp; bye&#33;</p><script>alert("x")</script><br>next<img src=x onerror=alert(1)>');
  const p = previewMessage(raw);
  assert.equal(p.text, 'Hi & bye!\n\nnext');
  assert.equal(p.html, '<p>Hi &amp; bye&#33;</p><script>alert("x")</script><br>next<img src=x onerror=alert(1)>');
  assert.equal(htmlToText('<style>p{}</style>a<!-- c -->b'), 'ab');
});

test('no Content-Type: plain text, UTF-8 when valid else Latin-1; a truncated empty text is only the note', () => {
  assert.equal(previewMessage(b('Subject: s\n\nGrüße\n')).text, 'Grüße\n');
  assert.equal(previewMessage(Buffer.concat([b('Subject: s\n\ncaf'), Buffer.from([0xe9])])).text, 'café');
  const cut = previewMessage(b('Subject: s\nFrom: x'), { truncated: true, totalSize: 3 * 1024 * 1024 });
  assert.equal(cut.text, '[Mailops: message truncated: only the first 18 bytes of 3 MiB (3145728 bytes) were read; the rest is not shown]\n');
  assert.equal(cut.subject, 's');
});

test('the Cyrus preview keeps its shape: raw headers, body as found', () => {
  const m = parseMessage(b('Subject: =?UTF-8?Q?caf=C3=A9?=\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\na=3Db\r\n'));
  assert.equal(m.subject, 'café');
  assert.deepEqual(m.headers[0], ['Subject', '=?UTF-8?Q?caf=C3=A9?=']);
  assert.equal(m.text, 'a=3Db\n');
  assert.deepEqual(Object.keys(m).sort(), ['cc', 'date', 'dateIso', 'from', 'headers', 'messageId', 'size', 'subject', 'text', 'to']);
});
