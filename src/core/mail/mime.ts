/**
 * Reading one stored message (RFC 5322 + MIME) for previews, whatever server it came from: pure functions on
 * the raw bytes, no I/O.
 *
 *   splitMessage        header block / body at the first empty line (CRLF or LF, as stored)
 *   parseHeaderBlock    unfolded header fields in message order (values as stored, not decoded)
 *   decodeHeader        RFC 2047 encoded words → text
 *   parseMime           the MIME tree (multipart/*, leaves with their transfer-encoded bytes)
 *   previewMessage      headers decoded, the text/plain part decoded to UTF-8, the text/html part as a string
 *                       (for a sanitiser downstream: NEVER rendered here) and the attachments list
 *
 * A message cut to a size limit (see `truncated`) parses as far as it goes: an unterminated multipart keeps its
 * last part, and the part that runs into the cut is marked truncated.
 */

export type HeaderList = Array<[string, string]>;

export interface MailAttachment {
  /** MIME part number as IMAP numbers it (e.g. "2", "1.3"). */
  partId: string;
  /** File name (Content-Disposition filename or Content-Type name, decoded), or null. */
  name: string | null;
  /** Content type, lower case (e.g. "application/pdf"). */
  type: string;
  /** Decoded size in bytes (of what was read, when truncated). */
  size: number;
  disposition: 'attachment' | 'inline';
  /** The message was cut inside this part: `size` is only what was read. */
  truncated?: boolean;
}

/** A message read for a preview. */
export interface MessagePreview {
  from: string | null;
  to: string | null;
  cc: string | null;
  subject: string | null;
  /** The Date header as written. */
  date: string | null;
  /** The Date header as ISO (UTC) when it parses. */
  dateIso: string | null;
  messageId: string | null;
  /** Header fields in message order, unfolded, RFC 2047 words decoded. */
  headers: HeaderList;
  /**
   * The text/plain part(s), transfer-decoded and converted to UTF-8; a text rendering of the HTML part when
   * there is no plain part. Ends with a note when the message was truncated.
   */
  text: string;
  /** The text/html part, decoded to a string, for a sanitiser (never rendered by Mailops itself), or null. */
  html: string | null;
  attachments: MailAttachment[];
  /** Bytes of the message that were read. */
  size: number;
  /** True when only the first `size` bytes of a larger message were read. */
  truncated: boolean;
  /** The full message size in bytes when known (equals `size` unless truncated). */
  totalSize: number | null;
}

// ---------------------------------------------------------------------------------------------------------------
// Header block

/** Header block and body: split at the first empty line (CRLF CRLF or LF LF). A message with none is all header. */
export function splitMessage(raw: Buffer): { head: Buffer; body: Buffer } {
  if (raw.length > 0 && (raw[0] === 0x0a || (raw[0] === 0x0d && raw[1] === 0x0a))) {
    // No header at all: the body starts after the empty first line.
    return { head: raw.subarray(0, 0), body: raw.subarray(raw[0] === 0x0a ? 1 : 2) };
  }
  let split = raw.indexOf('\r\n\r\n');
  let sepLen = 4;
  const lf = raw.indexOf('\n\n');
  if (split < 0 || (lf >= 0 && lf < split)) {
    split = lf;
    sepLen = 2;
  }
  // "\n\r\n" (LF line end, then a CRLF empty line) also ends a header.
  const mixed = raw.indexOf('\n\r\n');
  if (mixed >= 0 && (split < 0 || mixed < split)) {
    split = mixed;
    sepLen = 3;
  }
  if (split < 0) return { head: raw, body: raw.subarray(raw.length) };
  return { head: raw.subarray(0, split), body: raw.subarray(split + sepLen) };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes as UTF-8 when they are valid UTF-8, else as Latin-1 (8-bit header text in an undeclared charset). */
export function utf8OrLatin1(bytes: Uint8Array): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  }
}

/** Unfolded header fields in message order; values as stored (trimmed, not decoded). */
export function parseHeaderBlock(head: Buffer | string): HeaderList {
  const text = typeof head === 'string' ? head : head.toString('latin1');
  const headers: HeaderList = [];
  for (const line of text.split(/\r?\n/)) {
    if (/^[ \t]/.test(line)) {
      if (headers.length) headers[headers.length - 1]![1] += ` ${line.trim()}`;
      continue;
    }
    const i = line.indexOf(':');
    if (i > 0 && !/[\s]/.test(line.slice(0, i).trimEnd())) headers.push([line.slice(0, i).trimEnd(), line.slice(i + 1).trim()]);
  }
  if (typeof head === 'string') return headers;
  // Parsed as Latin-1 (one char per byte, so the split is byte-exact); each value is then re-read as UTF-8 when valid.
  return headers.map(([k, v]) => [k, utf8OrLatin1(Buffer.from(v, 'latin1'))]);
}

/** The first field of that name (case-insensitive), as stored, or null. */
export function headerRaw(headers: HeaderList, name: string): string | null {
  const n = name.toLowerCase();
  const h = headers.find(([k]) => k.toLowerCase() === n);
  return h ? h[1] : null;
}

// ---------------------------------------------------------------------------------------------------------------
// RFC 2047

/** Non-fatal decoders keep no state between whole decode() calls: one per charset label is enough. */
const decoders = new Map<string, TextDecoder | null>();

/** A decoder for a MIME charset label; null when the runtime does not know it. */
function decoderFor(charset: string): TextDecoder | null {
  const cs = charset.replace(/\*.*$/, '').trim().toLowerCase(); // RFC 2231 language suffix
  let d = decoders.get(cs);
  if (d === undefined) {
    const label = cs === 'utf8' ? 'utf-8' : cs === 'latin1' ? 'iso-8859-1' : cs;
    try {
      d = new TextDecoder(label);
    } catch {
      d = null;
    }
    if (decoders.size < 64) decoders.set(cs, d);
  }
  return d;
}

function decodeWord(charset: string, encoding: string, text: string): string | null {
  let bytes: Buffer;
  if (encoding.toUpperCase() === 'B') {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
    bytes = Buffer.from(text, 'base64');
  } else {
    bytes = Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  }
  const d = decoderFor(charset);
  return d ? d.decode(bytes) : utf8OrLatin1(bytes);
}

/** Unfold a header value and decode its RFC 2047 encoded words (whitespace between two encoded words goes). */
export function decodeHeader(value: string): string {
  // Fast path (most headers): nothing to unfold, no encoded word. Unfolding removes only line breaks before
  // a blank, so it never makes a "=?" that was not there.
  if (!value.includes('=?')) return value.includes('\n') ? value.replace(/\r?\n(?=[ \t])/g, '') : value;
  const unfolded = value.replace(/\r?\n(?=[ \t])/g, '');
  const re = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;
  let out = '';
  let last = 0;
  let prevWasWord = false;
  for (let m = re.exec(unfolded); m; m = re.exec(unfolded)) {
    const between = unfolded.slice(last, m.index);
    const decoded = decodeWord(m[1]!, m[2]!, m[3]!);
    if (decoded === null) continue;
    if (!(prevWasWord && /^[ \t]*$/.test(between))) out += between;
    out += decoded;
    last = m.index + m[0].length;
    prevWasWord = true;
  }
  return out + unfolded.slice(last);
}

// ---------------------------------------------------------------------------------------------------------------
// Structured fields: Content-Type, Content-Disposition (RFC 2045, RFC 2231)

export interface ParsedField {
  /** Lower case value before the first ";" (e.g. "text/plain", "attachment"). */
  value: string;
  /** Parameters, names lower case; RFC 2231 continuations joined and charsets decoded. */
  params: Record<string, string>;
}

/** `type/sub; a=b; c="d; e"; name*=utf-8''%C3%A9` → value and parameters. */
export function parseStructuredField(field: string): ParsedField {
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < field.length; i++) {
    const c = field[i]!;
    if (quoted && c === '\\' && i + 1 < field.length) {
      cur += field[++i]!;
      continue;
    }
    if (c === '"') quoted = !quoted;
    else if (c === ';' && !quoted) {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  parts.push(cur);
  const value = parts.shift()!.replace(/\([^)]*\)/g, '').trim().toLowerCase();
  const simple: Record<string, string> = {};
  const ext = new Map<string, Array<{ n: number; v: string; encoded: boolean }>>();
  for (const p of parts) {
    const eq = p.indexOf('=');
    if (eq <= 0) continue;
    const key = p.slice(0, eq).trim().toLowerCase();
    let v = p.slice(eq + 1).trim();
    if (v.startsWith('"')) v = v.replace(/^"|"$/g, '');
    const m2 = /^([^*]+)\*(\d+)?(\*)?$/.exec(key);
    if (m2) {
      const name = m2[1]!;
      const n = m2[2] === undefined ? 0 : Number(m2[2]);
      const encoded = m2[2] === undefined ? true : m2[3] === '*';
      const list = ext.get(name) ?? [];
      list.push({ n, v, encoded });
      ext.set(name, list);
    } else simple[key] = v;
  }
  const params: Record<string, string> = { ...simple };
  for (const [name, list] of ext) {
    list.sort((a, b) => a.n - b.n);
    let charset = 'utf-8';
    const bytes: number[] = [];
    list.forEach((seg, i) => {
      let v = seg.v;
      if (seg.encoded && i === 0) {
        const q = /^([^']*)'[^']*'(.*)$/.exec(v);
        if (q) {
          charset = q[1] || 'us-ascii';
          v = q[2]!;
        }
      }
      if (seg.encoded) {
        for (let j = 0; j < v.length; j++) {
          if (v[j] === '%' && /^[0-9A-Fa-f]{2}$/.test(v.slice(j + 1, j + 3))) {
            bytes.push(parseInt(v.slice(j + 1, j + 3), 16));
            j += 2;
          } else bytes.push(...Buffer.from(v[j]!, 'utf8'));
        }
      } else bytes.push(...Buffer.from(v, 'utf8'));
    });
    const d = decoderFor(charset);
    params[name] = d ? d.decode(Uint8Array.from(bytes)) : utf8OrLatin1(Uint8Array.from(bytes));
  }
  return { value, params };
}

// ---------------------------------------------------------------------------------------------------------------
// Transfer encodings and charsets

/** Quoted-printable → bytes (soft line breaks removed; a malformed "=" is kept as is). */
export function decodeQuotedPrintable(body: Buffer): Buffer {
  const out = Buffer.alloc(body.length);
  let o = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== 0x3d) {
      out[o++] = c;
      continue;
    }
    // "=" then optional trailing whitespace then a line end: soft break.
    let j = i + 1;
    while (j < body.length && (body[j] === 0x20 || body[j] === 0x09)) j++;
    if (j < body.length && body[j] === 0x0a) {
      i = j;
      continue;
    }
    if (j + 1 < body.length && body[j] === 0x0d && body[j + 1] === 0x0a) {
      i = j + 1;
      continue;
    }
    if (j >= body.length) break; // "=" at the very end (a cut message)
    const hex = body.toString('latin1', i + 1, i + 3);
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      out[o++] = parseInt(hex, 16);
      i += 2;
    } else out[o++] = c;
  }
  return out.subarray(0, o);
}

/** Content-Transfer-Encoding → bytes. Unknown encodings are passed through. */
export function decodeTransferEncoding(body: Buffer, encoding: string | null): Buffer {
  const e = (encoding ?? '').trim().toLowerCase();
  if (e === 'base64') {
    // Only the alphabet counts; a cut message may end in the middle of a quantum (Node decodes what it can).
    return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/]/g, ''), 'base64');
  }
  if (e === 'quoted-printable') return decodeQuotedPrintable(body);
  return body;
}

/** Bytes in a declared charset → string. No or an unknown charset: UTF-8 when valid, else Latin-1. */
export function decodeCharset(bytes: Buffer, charset: string | undefined | null): string {
  const cs = (charset ?? '').trim().toLowerCase();
  if (cs === '' || cs === 'us-ascii' || cs === 'ascii') return utf8OrLatin1(bytes);
  const d = decoderFor(cs);
  return d ? d.decode(bytes) : utf8OrLatin1(bytes);
}

// ---------------------------------------------------------------------------------------------------------------
// The MIME tree

export interface MimePart {
  /** IMAP part number ("" for the message itself when it is not multipart, "1", "1.2", …). */
  partId: string;
  headers: HeaderList;
  /** Lower case "type/subtype" (default text/plain, or message/rfc822 inside multipart/digest). */
  contentType: string;
  params: Record<string, string>;
  disposition: ParsedField | null;
  transferEncoding: string | null;
  /** The part's body as stored (transfer-encoded). Empty for a multipart. */
  body: Buffer;
  children: MimePart[];
  /** The body runs to the end of what was read (the message may have been cut inside it). */
  atEnd: boolean;
}

const MAX_DEPTH = 20;
const MAX_PARTS = 1000;

/** Offsets of the delimiter lines of `boundary` in body: [start of "--b", end of line, closing?]. */
function findDelimiters(body: Buffer, boundary: string): Array<{ start: number; lineEnd: number; next: number; close: boolean }> {
  const out: Array<{ start: number; lineEnd: number; next: number; close: boolean }> = [];
  const delim = Buffer.from(`--${boundary}`, 'latin1');
  let from = 0;
  while (from <= body.length) {
    const i = body.indexOf(delim, from);
    if (i < 0) break;
    from = i + delim.length;
    if (i > 0 && body[i - 1] !== 0x0a) continue; // must start a line
    let j = i + delim.length;
    const close = body[j] === 0x2d && body[j + 1] === 0x2d;
    if (close) j += 2;
    while (j < body.length && (body[j] === 0x20 || body[j] === 0x09)) j++;
    if (j < body.length && body[j] !== 0x0a && body[j] !== 0x0d) continue; // "--boundaryX": another boundary
    // The line end before the delimiter belongs to it.
    let start = i;
    if (start > 0 && body[start - 1] === 0x0a) start--;
    if (start > 0 && body[start - 1] === 0x0d) start--;
    let next = j;
    if (body[next] === 0x0d) next++;
    if (body[next] === 0x0a) next++;
    out.push({ start, lineEnd: j, next, close });
    if (close) break;
  }
  return out;
}

function endsAtEnd(part: Buffer, root: Buffer): boolean {
  return part.byteOffset + part.length === root.byteOffset + root.length;
}

/** Parse a message (or a part: header block + body) into its MIME tree. */
export function parseMime(raw: Buffer): MimePart {
  let count = 0;
  const root = raw;
  const walk = (entity: Buffer, partId: string, depth: number, defaultType: string): MimePart => {
    count++;
    const { head, body } = splitMessage(entity);
    const headers = parseHeaderBlock(head);
    const ct = parseStructuredField(headerRaw(headers, 'content-type') ?? defaultType);
    const contentType = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(ct.value) ? ct.value : 'text/plain';
    const cd = headerRaw(headers, 'content-disposition');
    const part: MimePart = {
      partId,
      headers,
      contentType,
      params: ct.params,
      disposition: cd ? parseStructuredField(cd) : null,
      transferEncoding: headerRaw(headers, 'content-transfer-encoding'),
      body,
      children: [],
      atEnd: endsAtEnd(body, root),
    };
    if (contentType.startsWith('multipart/') && ct.params.boundary && depth < MAX_DEPTH) {
      const delims = findDelimiters(body, ct.params.boundary);
      if (delims.length) {
        part.body = body.subarray(0, 0);
        const childDefault = contentType === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
        for (let k = 0; k < delims.length && count < MAX_PARTS; k++) {
          const d = delims[k]!;
          if (d.close) break;
          const nextDelim = delims[k + 1];
          const childRaw = body.subarray(d.next, nextDelim ? nextDelim.start : body.length);
          const id = partId === '' ? String(k + 1) : `${partId}.${k + 1}`;
          part.children.push(walk(childRaw, id, depth + 1, childDefault));
        }
      }
    }
    return part;
  };
  const top = walk(raw, '', 0, 'text/plain');
  // IMAP numbers a non-multipart message's only part "1".
  if (!top.contentType.startsWith('multipart/') || top.children.length === 0) top.partId = '1';
  return top;
}

/** The leaves of a MIME tree in order (a message/rfc822 part is a leaf: an attached message). */
export function leaves(part: MimePart): MimePart[] {
  if (part.children.length === 0) return [part];
  return part.children.flatMap(leaves);
}

function fileName(p: MimePart): string | null {
  const n = p.disposition?.params.filename ?? p.params.name ?? null;
  return n === null || n === '' ? null : decodeHeader(n);
}

function isAttachment(p: MimePart): boolean {
  if (p.disposition?.value === 'attachment') return true;
  if (p.contentType !== 'text/plain' && p.contentType !== 'text/html') return true;
  return fileName(p) !== null && p.disposition?.value !== 'inline';
}

/** Decoded text of a text part. */
export function partText(p: MimePart): string {
  return decodeCharset(decodeTransferEncoding(p.body, p.transferEncoding), p.params.charset);
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** A plain-text rendering of HTML (for a message without a text/plain part). Never HTML out: tags are dropped. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style|head|title)\b[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|tr|li|h[1-6]|table|blockquote)\s*>/gi, '\n')
    .replace(/<li\b[^>]*>/gi, '• ')
    .replace(/<[^>]*>/g, '')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
      if (e[0] === '#') {
        const cp = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1));
        return Number.isFinite(cp) && cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
      }
      return ENTITIES[e.toLowerCase()] ?? m;
    })
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

export interface PreviewOptions {
  /** The bytes are only the start of a larger message. */
  truncated?: boolean;
  /** The whole message's size, when known. */
  totalSize?: number | null;
  /** Keep at most this many characters of text and of html (default: all of what was read). */
  maxText?: number;
}

function sizeText(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const unit = n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MiB` : `${(n / 1024).toFixed(1).replace(/\.0$/, '')} KiB`;
  return `${unit} (${n} bytes)`;
}

/** The note appended to the text of a truncated message. */
export function truncationNote(read: number, total: number | null | undefined): string {
  return `[Mailops: message truncated: only the first ${sizeText(read)}${total ? ` of ${sizeText(total)}` : ''} were read; the rest is not shown]`;
}

/** Headers, text, HTML (as a string) and attachments of a raw message. */
export function previewMessage(raw: Buffer, opts: PreviewOptions = {}): MessagePreview {
  const tree = parseMime(raw);
  const headers: HeaderList = tree.headers.map(([k, v]) => [k, decodeHeader(v)]);
  const get = (n: string) => {
    const v = headerRaw(headers, n);
    return v === null ? null : v;
  };
  const truncated = opts.truncated === true;
  const texts: string[] = [];
  let html: string | null = null;
  const attachments: MailAttachment[] = [];
  for (const p of leaves(tree)) {
    const cut = truncated && p.atEnd;
    if (isAttachment(p)) {
      attachments.push({
        partId: p.partId,
        name: fileName(p),
        type: p.contentType,
        size: decodeTransferEncoding(p.body, p.transferEncoding).length,
        disposition: p.disposition?.value === 'attachment' ? 'attachment' : 'inline',
        ...(cut ? { truncated: true } : {}),
      });
    } else if (p.contentType === 'text/html') {
      if (html === null) html = partText(p);
    } else texts.push(partText(p));
  }
  let text = texts.length ? texts.join('\n\n') : html !== null ? htmlToText(html) : '';
  text = text.replace(/\r\n/g, '\n');
  if (opts.maxText !== undefined) {
    text = text.slice(0, opts.maxText);
    if (html !== null) html = html.slice(0, opts.maxText);
  }
  if (truncated) {
    const before = text.replace(/\n*$/, '');
    text = `${before}${before ? '\n\n' : ''}${truncationNote(raw.length, opts.totalSize)}\n`;
  }
  const date = get('date');
  const t = date ? Date.parse(date.replace(/\s*\([^)]*\)\s*$/, '')) : NaN;
  return {
    from: get('from'),
    to: get('to'),
    cc: get('cc'),
    subject: get('subject'),
    date,
    dateIso: Number.isNaN(t) ? null : new Date(t).toISOString(),
    messageId: get('message-id'),
    headers,
    text,
    html,
    attachments,
    size: raw.length,
    truncated,
    totalSize: opts.totalSize ?? (truncated ? null : raw.length),
  };
}
