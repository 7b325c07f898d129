/**
 * Messages of a mailbox, streamed: `doveadm -f json fetch -u U FIELDS mailbox-guid G` parsed object by
 * object (core/util/jsonArrayStream), so a 100,000-message mailbox never sits whole in memory.
 *
 * Trap (measured): `fetch` on a missing mailbox exits 0 and prints `[]` (the tab formatter: only a
 * header). So the mailbox is looked up first with `mailbox status` (rc 68 when missing), which also
 * gives its GUID: fetching by `mailbox-guid` keeps names with `*` or `%` from acting as patterns.
 */
import { MailopsError } from '../errors';
import type { HostContext } from '../hosts/context';
import { streamDoveadmJson, type DoveadmCallOptions } from './jsonStream';
import { mailboxStatus } from './mailboxes';
import type { MessageSummary } from './types';

export const FETCH_FIELDS = [
  'uid',
  'guid',
  'flags',
  'size.virtual',
  'date.received.unixtime',
  'date.sent.unixtime',
  'date.saved.unixtime',
  'hdr.from',
  'hdr.to',
  'hdr.subject',
  'hdr.message-id',
  'mailbox',
] as const;

export class NoSuchMailboxError extends MailopsError {
  constructor(host: string, account: string, mailbox: string, where: string) {
    super(`no such mailbox: ${JSON.stringify(mailbox)} of ${account}${where ? ` in ${where}` : ''}`, {
      host,
      meaning: 'the mailbox does not exist (doveadm fetch would have printed an empty list and exit 0)',
      hint: `mailops mailboxes ${JSON.stringify(account)} lists the mailboxes`,
    });
    this.name = 'NoSuchMailboxError';
  }
}

/** Decode one RFC 2047 encoded word's payload. */
function decodeWord(charset: string, encoding: string, text: string): string | null {
  let bytes: Uint8Array;
  if (encoding.toUpperCase() === 'B') {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
    bytes = Buffer.from(text, 'base64');
  } else {
    const out: number[] = [];
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (c === '_') out.push(0x20);
      else if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
        out.push(parseInt(text.slice(i + 1, i + 3), 16));
        i += 2;
      } else out.push(c.charCodeAt(0) & 0xff);
    }
    bytes = Uint8Array.from(out);
  }
  const cs = charset.replace(/\*.*$/, '').toLowerCase(); // RFC 2231 language suffix
  try {
    return new TextDecoder(cs === 'utf8' ? 'utf-8' : cs).decode(bytes);
  } catch {
    return new TextDecoder('latin1').decode(bytes);
  }
}

/** Unfold a header value and decode its RFC 2047 encoded words (whitespace between two encoded words goes). */
export function decodeHeader(value: string): string {
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

function num(v: unknown): number {
  return typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
}

/** Unix seconds into ISO 8601; 0, negative and missing mean unknown (doveadm prints 0 for no Date header). */
export function unixToIso(v: unknown): string | null {
  const n = num(v);
  if (!Number.isFinite(n) || n <= 0) return null;
  return new Date(n * 1000).toISOString();
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

/** One object of `fetch -f json` output into a MessageSummary (pure). */
export function toMessageSummary(account: string, o: Record<string, unknown>, mailbox?: string): MessageSummary {
  const messageId = str(o['hdr.message-id']).replace(/\r?\n[ \t]+/g, ' ').trim();
  return {
    account,
    mailbox: mailbox ?? str(o.mailbox),
    uid: num(o.uid),
    guid: str(o.guid),
    flags: str(o.flags).split(' ').filter((f) => f !== ''),
    size: Number.isFinite(num(o['size.virtual'])) ? num(o['size.virtual']) : 0,
    received: unixToIso(o['date.received.unixtime']),
    sent: unixToIso(o['date.sent.unixtime']),
    from: decodeHeader(str(o['hdr.from'])),
    to: decodeHeader(str(o['hdr.to'])),
    subject: decodeHeader(str(o['hdr.subject'])),
    messageId: messageId === '' ? null : messageId,
  };
}

/** Also the saved date, for verification (not part of the public summary). */
export interface FetchedMessage extends MessageSummary {
  /** When the message was saved into this mailbox (ISO), or null. */
  saved: string | null;
}

export interface FetchOptions extends Pick<DoveadmCallOptions, 'overrides' | 'signal'> {
  /** Summary for errors. */
  what?: string;
}

/**
 * Stream messages matching a doveadm search query (e.g. ['mailbox-guid', G] or ['all']).
 * The caller is responsible for knowing the mailbox exists (see the trap above).
 */
export async function* fetchMessages(ctx: HostContext, account: string, query: readonly string[], opts: FetchOptions = {}): AsyncGenerator<FetchedMessage> {
  for await (const o of streamDoveadmJson(ctx, ['fetch', '-u', account, FETCH_FIELDS.join(' '), ...query], {
    overrides: opts.overrides,
    signal: opts.signal,
    what: opts.what ?? `listing the messages of ${account} failed`,
    explain: (code) => (code === 67 ? { meaning: `no such user: ${account}`, hint: 'mailops accounts lists the accounts' } : undefined),
  })) {
    yield { ...toMessageSummary(account, o), saved: unixToIso(o['date.saved.unixtime']) };
  }
}

export interface ListMessagesOptions extends FetchOptions {
  /** Label of the backup set, for the "no such mailbox" message. */
  where?: string;
  /** Extra search keys ANDed to the mailbox (e.g. ['uid', '3,7']). */
  query?: readonly string[];
}

/**
 * Stream the messages of one mailbox. Throws NoSuchMailboxError when it does not exist (instead of
 * doveadm's silent empty list).
 */
export async function* listMessages(ctx: HostContext, account: string, mailbox: string, opts: ListMessagesOptions = {}): AsyncGenerator<FetchedMessage> {
  const status = await mailboxStatus(ctx, account, mailbox, opts);
  if (!status) throw new NoSuchMailboxError(ctx.config.name, account, mailbox, opts.where ?? '');
  if (status.messages === 0) return;
  const query = status.guid ? ['mailbox-guid', status.guid, ...(opts.query ?? [])] : ['mailbox', mailbox, ...(opts.query ?? [])];
  for await (const m of fetchMessages(ctx, account, query, opts)) {
    // mailbox-guid is unique, but keep the promise of "this mailbox only" even if doveadm disagrees.
    if (m.mailbox === mailbox) yield m;
  }
}
