/**
 * Reading a stored message (a `UID.` file of a Cyrus spool, live or from an archive) for previews:
 * header fields unfolded and RFC 2047 words decoded, and the start of the text.
 */

export interface MessagePreview {
  from: string | null;
  to: string | null;
  cc: string | null;
  subject: string | null;
  date: string | null;
  /** The Date header as ISO (UTC) when it parses. */
  dateIso: string | null;
  messageId: string | null;
  /** Raw header block, unfolded lines. */
  headers: Array<[string, string]>;
  /** Body text (first `maxText` characters, as found: no MIME decoding beyond that). */
  text: string;
  /** Size in bytes of what was read. */
  size: number;
}

function decodeWord(charset: string, enc: string, data: string): string {
  let bytes: Buffer;
  if (enc.toUpperCase() === 'B') bytes = Buffer.from(data, 'base64');
  else bytes = Buffer.from(data.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  try {
    return new TextDecoder(charset.toLowerCase().replace(/\*.*$/, ''), { fatal: false }).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/** RFC 2047 encoded words → text (whitespace between adjacent encoded words dropped). */
export function decodeHeader(value: string): string {
  return value
    .replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?[^?]+\?[BbQq]\?[^?]*\?=)/g, '$1')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, cs: string, e: string, d: string) => decodeWord(cs, e, d));
}

export function parseMessage(raw: Buffer, maxText = 4000): MessagePreview {
  let split = raw.indexOf('\r\n\r\n');
  let sepLen = 4;
  const lf = raw.indexOf('\n\n');
  if (split < 0 || (lf >= 0 && lf < split)) {
    split = lf;
    sepLen = 2;
  }
  const head = (split >= 0 ? raw.subarray(0, split) : raw).toString('utf8');
  const body = split >= 0 ? raw.subarray(split + sepLen).toString('utf8') : '';
  const headers: Array<[string, string]> = [];
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && headers.length) headers[headers.length - 1]![1] += ` ${line.trim()}`;
    else {
      const i = line.indexOf(':');
      if (i > 0) headers.push([line.slice(0, i), line.slice(i + 1).trim()]);
    }
  }
  const get = (n: string) => {
    const h = headers.find(([k]) => k.toLowerCase() === n);
    return h ? decodeHeader(h[1]) : null;
  };
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
    text: body.replace(/\r\n/g, '\n').slice(0, maxText),
    size: raw.length,
  };
}
