/**
 * Messages of a mailbox, streamed: `doveadm -f json fetch -u U FIELDS mailbox-guid G` parsed object by
 * object (core/util/jsonArrayStream), so a 100,000-message mailbox never sits whole in memory.
 *
 * Trap (measured): `fetch` on a missing mailbox exits 0 and prints `[]` (the tab formatter: only a
 * header). So the mailbox is looked up first with `mailbox status` (rc 68 when missing), which also
 * gives its GUID: fetching by `mailbox-guid` keeps names with `*` or `%` from acting as patterns.
 */
import { MailopsError } from '../errors';
import { decodeHeader } from '../mail/mime';
import type { HostContext } from '../hosts/context';
import { streamDoveadmJson, type DoveadmCallOptions } from './jsonStream';
import { doveadmMailArgs } from './doveadm';
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

/** Header decoding lives with the MIME parser; re-exported for the callers that list messages. */
export { decodeHeader };

/** A number, or a string of ASCII digits with an optional leading "-" (doveadm prints numbers as strings); else NaN. */
function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return NaN;
  const n = v.length;
  let i = n > 0 && v.charCodeAt(0) === 0x2d ? 1 : 0;
  if (i === n) return NaN;
  for (; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return NaN;
  }
  return Number(v);
}

/** 10000-01-01T00:00:00Z: up to here toISOString prints four-digit years. */
const ISO_FOUR_DIGIT_YEARS_END = 253402300800;
let lastDay = NaN;
let lastDayIso = '';

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

/** Days since 1970-01-01 (>= 0, year <= 9999) into `YYYY-MM-DD` (proleptic Gregorian, as Date does). */
function dayToIso(days: number): string {
  // H. Hinnant's civil_from_days.
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${y}-${pad2(m)}-${pad2(d)}`;
}

/** Unix seconds into ISO 8601; 0, negative and missing mean unknown (doveadm prints 0 for no Date header). */
export function unixToIso(v: unknown): string | null {
  const n = num(v);
  if (!Number.isFinite(n) || n <= 0) return null;
  if (!Number.isInteger(n) || n >= ISO_FOUR_DIGIT_YEARS_END) return new Date(n * 1000).toISOString();
  // Whole seconds in years 1970-9999: the same text as toISOString without a Date (the day part is cached:
  // a listing's dates cluster).
  const day = Math.floor(n / 86400);
  if (day !== lastDay) {
    lastDayIso = dayToIso(day);
    lastDay = day;
  }
  let s = n - day * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  return `${lastDayIso}T${pad2(h)}:${pad2(m)}:${pad2(s - m * 60)}.000Z`;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

/** One object of `fetch -f json` output into a MessageSummary (pure). */
export function toMessageSummary(account: string, o: Record<string, unknown>, mailbox?: string): MessageSummary {
  const rawId = str(o['hdr.message-id']);
  const messageId = (rawId.includes('\n') ? rawId.replace(/\r?\n[ \t]+/g, ' ') : rawId).trim();
  const flags = str(o.flags);
  const size = num(o['size.virtual']);
  return {
    account,
    mailbox: mailbox ?? str(o.mailbox),
    uid: num(o.uid),
    guid: str(o.guid),
    flags: flags === '' ? [] : flags.split(' ').filter((f) => f !== ''),
    size: Number.isFinite(size) ? size : 0,
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
  for await (const o of streamDoveadmJson(ctx, doveadmMailArgs(['fetch'], account, [], [FETCH_FIELDS.join(' '), ...query], ctx.config.name), {
    overrides: opts.overrides,
    signal: opts.signal,
    what: opts.what ?? `listing the messages of ${account} failed`,
    explain: (code) => (code === 67 ? { meaning: `no such user: ${account}`, hint: 'mailops accounts lists the accounts' } : undefined),
  })) {
    const m = toMessageSummary(account, o) as FetchedMessage;
    m.saved = unixToIso(o['date.saved.unixtime']);
    yield m;
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
