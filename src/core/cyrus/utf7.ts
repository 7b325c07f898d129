/**
 * IMAP modified UTF-7 (RFC 3501 §5.1.3): how Cyrus 3.6 stores and shows non-ASCII mailbox names.
 * `&` starts a base64 (with `,` for `/`) run of UTF-16BE, `-` ends it; `&-` is a literal `&`.
 */

/** Decode a modified UTF-7 name for display. Malformed runs are left as they are (never throws). */
export function decodeMutf7(name: string): string {
  return name.replace(/&([A-Za-z0-9+,]*)-/g, (whole, b64: string) => {
    if (b64 === '') return '&';
    const bytes = Buffer.from(b64.replace(/,/g, '/'), 'base64');
    if (bytes.length % 2 !== 0) return whole;
    let out = '';
    for (let i = 0; i < bytes.length; i += 2) out += String.fromCharCode((bytes[i]! << 8) | bytes[i + 1]!);
    return out;
  });
}

/** Encode a display name into modified UTF-7 (what IMAP commands and Cyrus tools expect). */
export function encodeMutf7(name: string): string {
  let out = '';
  let run = '';
  const flush = () => {
    if (!run) return;
    const buf = Buffer.alloc(run.length * 2);
    for (let i = 0; i < run.length; i++) buf.writeUInt16BE(run.charCodeAt(i), i * 2);
    out += `&${buf.toString('base64').replace(/=+$/, '').replace(/\//g, ',')}-`;
    run = '';
  };
  for (const ch of name) {
    const c = ch.codePointAt(0)!;
    if (c >= 0x20 && c <= 0x7e) {
      flush();
      out += ch === '&' ? '&-' : ch;
    } else run += ch; // UTF-16 code units (surrogate pairs stay pairs)
  }
  flush();
  return out;
}
