/**
 * Reading a stored message (a `UID.` file of a Cyrus spool, live or from an archive) for previews:
 * header fields unfolded and RFC 2047 words decoded, and the start of the text. The header parsing is the
 * generic one of core/mail/mime.ts (shared with the Dovecot message reader, which also decodes MIME parts).
 */
import { decodeHeader, headerRaw, parseHeaderBlock, splitMessage, type MessagePreview as MimeMessagePreview } from '../mail/mime';

export { decodeHeader };

/**
 * The Cyrus preview: `headers` are the raw header block (unfolded lines, not decoded), `text` the body as
 * found (first `maxText` characters, no MIME decoding), `size` the bytes read.
 */
export type MessagePreview = Pick<MimeMessagePreview, 'from' | 'to' | 'cc' | 'subject' | 'date' | 'dateIso' | 'messageId' | 'headers' | 'text' | 'size'>;

export function parseMessage(raw: Buffer, maxText = 4000): MessagePreview {
  const { head, body } = splitMessage(raw);
  const headers = parseHeaderBlock(head);
  const get = (n: string) => {
    const v = headerRaw(headers, n);
    return v === null ? null : decodeHeader(v);
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
    text: body.toString('utf8').replace(/\r\n/g, '\n').slice(0, maxText),
    size: raw.length,
  };
}
