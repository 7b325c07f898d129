/**
 * One message of a backup set (live, mirror, archive point, expunged), read for a preview: ONE
 * `doveadm -f pager fetch -u U 'mailbox uid guid size.physical text' QUERY` and parsed with core/mail/mime.ts.
 *
 * Why the pager formatter (measured on Dovecot 2.3.19): `-f json` replaces every byte that is not valid UTF-8
 * with U+FFFD, so an 8-bit Latin-1 body would be lost. The pager formatter prints `key: value` lines and then,
 * for the streamed `text` field, `text:` and the message bytes exactly as stored, nothing added; a next message
 * follows after "\f\n". `size.physical` (printed before `text`) is the exact byte length of `text`, so the
 * stream is framed without guessing and a message containing "\f\n" is not cut. Only the first `maxBytes` of
 * the message are kept: the rest is not read (the remote process is stopped), and the preview says so.
 *
 * Like `fetch -f json`, a missing mailbox or UID prints nothing and exits 0: that is MessageNotFoundError here.
 * Mailbox names travel as one argv element (never through a shell); a name with `*` or `%` (a doveadm pattern)
 * may match several mailboxes, so the `mailbox` field of each result is checked against the name asked for.
 */
import { MailopsError, TransportError, UsageError } from '../errors';
import type { HostContext } from '../hosts/context';
import { previewMessage, type MessagePreview } from '../mail/mime';
import { doveadmArgv, doveadmMailArgs } from './doveadm';
import { doveadmFailure } from './jsonStream';
import { openSet, setLabel, type OpenSetOptions, type OpenedSet } from './sets';
import type { BackupSetRef } from './types';
import { checkAccountName } from '../names';

export const DEFAULT_MAX_BYTES = 2 * 1024 * 1024;
export const MESSAGE_FETCH_FIELDS = ['mailbox', 'uid', 'guid', 'size.physical', 'text'] as const;

/**
 * Which message: by mailbox (GUID or name) and UID, or by message GUID (first match, optionally in one mailbox).
 * The mailbox name may be left out only for a set of one mailbox (expunged).
 */
export type MessageLocator = { mailboxGuid: string; uid: number; mailbox?: string } | { mailbox?: string; uid: number } | { guid: string; mailbox?: string };

export interface ReadMessageOptions {
  /** Keep at most this many bytes of the message (default 2 MiB); a larger message is truncated with a note. */
  maxBytes?: number;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** An already opened set of this account (not closed here); otherwise the set is opened and closed. */
  set?: OpenedSet;
  /** Passed to openSet when the set is opened here. */
  openSet?: Omit<OpenSetOptions, 'signal'>;
}

export interface DovecotMessage extends MessagePreview {
  host: string;
  account: string;
  /** Label of the set read (live, mirror, archive:ID, expunged). */
  set: string;
  mailbox: string;
  uid: number;
  guid: string;
}

export class MessageNotFoundError extends MailopsError {
  constructor(host: string, account: string, set: string, what: string, hint: string) {
    super(`no message ${what} of ${account} in the ${set} set`, {
      host,
      meaning: 'doveadm fetch found no such message (it prints nothing and exits 0 for a missing mailbox or UID)',
      hint,
    });
    this.name = 'MessageNotFoundError';
  }
}

function describeLocator(l: MessageLocator, mailbox: string | undefined): string {
  if ('guid' in l) return `GUID ${l.guid}${mailbox !== undefined ? ` in ${JSON.stringify(mailbox)}` : ''}`;
  if ('mailboxGuid' in l) return `UID ${l.uid} in ${mailbox !== undefined ? `${JSON.stringify(mailbox)} (mailbox GUID ${l.mailboxGuid})` : `mailbox GUID ${l.mailboxGuid}`}`;
  return `UID ${l.uid} in ${JSON.stringify(mailbox)}`;
}

/** The doveadm search query of a locator (each element one argv word). */
export function messageQuery(l: MessageLocator, mailbox: string | undefined): string[] {
  if ('guid' in l) {
    if (!/^[^\s*%?]+$/.test(l.guid)) throw new UsageError(`not a message GUID: ${JSON.stringify(l.guid)}`);
    return [...(mailbox !== undefined ? ['mailbox', mailbox] : []), 'guid', l.guid];
  }
  if (!Number.isSafeInteger(l.uid) || l.uid <= 0) throw new UsageError(`not a UID: ${String(l.uid)}`, { hint: 'a UID is a whole number from 1' });
  if ('mailboxGuid' in l) {
    if (!/^[0-9a-f]{32}$/i.test(l.mailboxGuid)) throw new UsageError(`not a mailbox GUID: ${JSON.stringify(l.mailboxGuid)}`);
    return ['mailbox-guid', l.mailboxGuid, 'uid', String(l.uid)];
  }
  return ['mailbox', mailbox!, 'uid', String(l.uid)];
}

function sameMailbox(a: string, b: string): boolean {
  return a === b || (a.toUpperCase() === 'INBOX' && b.toUpperCase() === 'INBOX');
}

/** One message record of the pager output. */
export interface PagerRecord {
  fields: Record<string, string>;
  /** The first bytes of `text` (at most maxBytes). */
  text: Buffer;
  /** Bytes of `text` in the output (size.physical when the framing held). */
  textSize: number;
  /** `text` holds fewer bytes than the message has. */
  truncated: boolean;
}

/**
 * Incremental parser of `doveadm -f pager fetch … text` output (text the last field). `push` returns true once
 * the caller can stop reading: the wanted record is complete or cut at maxBytes.
 */
export class PagerMessageReader {
  private state: 'fields' | 'text' | 'sep' = 'fields';
  private line: Buffer[] = [];
  private lineLen = 0;
  private fields: Record<string, string> = {};
  private remaining = Infinity;
  private keep = false;
  private kept: Buffer[] = [];
  private keptLen = 0;
  private textLen = 0;
  private sep = Buffer.alloc(0);
  /** The record found (set when done or at end). */
  found: PagerRecord | null = null;
  /** Records skipped because `accept` refused them. */
  skipped = 0;

  constructor(
    private readonly maxBytes: number,
    /** Whether a record (its fields, known before its text) is the one wanted. */
    private readonly accept: (fields: Record<string, string>) => boolean,
  ) {}

  push(chunk: Buffer): boolean {
    let i = 0;
    while (i < chunk.length && !this.found) {
      if (this.state === 'fields') {
        const nl = chunk.indexOf(0x0a, i);
        const end = nl < 0 ? chunk.length : nl;
        this.line.push(chunk.subarray(i, end));
        this.lineLen += end - i;
        if (this.lineLen > 1024 * 1024) throw new Error('doveadm printed a field line longer than 1 MiB');
        i = end;
        if (nl < 0) break;
        i = nl + 1;
        const line = Buffer.concat(this.line).toString('utf8');
        this.line = [];
        this.lineLen = 0;
        if (line === 'text:') this.startText();
        else {
          const c = line.indexOf(':');
          if (c > 0) this.fields[line.slice(0, c)] = line.slice(c + 1).replace(/^ /, '');
        }
      } else if (this.state === 'text') {
        const n = Math.min(chunk.length - i, this.remaining);
        this.take(chunk.subarray(i, i + n));
        i += n;
        this.remaining -= n;
        if (this.keep && this.keptLen >= this.maxBytes && this.textLen > this.maxBytes) {
          this.finish(true);
          return true;
        }
        if (this.remaining === 0) {
          this.state = 'sep';
          this.sep = Buffer.alloc(0);
        }
      } else {
        // After size.physical bytes: "\f\n" and the next record, or the end of the output.
        const need = 2 - this.sep.length;
        this.sep = Buffer.concat([this.sep, chunk.subarray(i, i + need)]);
        i += Math.min(need, chunk.length - i);
        if (this.sep.length < 2) break;
        if (this.sep[0] === 0x0c && this.sep[1] === 0x0a) {
          if (this.keep) {
            this.finish(false);
            return true;
          }
          this.nextRecord();
        } else {
          // size.physical was not the text's length: the text goes on to the end of the output.
          this.state = 'text';
          this.remaining = Infinity;
          this.take(this.sep);
        }
      }
    }
    return this.found !== null;
  }

  /** The output ended: the record being read (if wanted) is complete. */
  end(): PagerRecord | null {
    if (!this.found && this.keep && this.state !== 'fields') this.finish(false);
    return this.found;
  }

  private startText(): void {
    this.state = 'text';
    const size = Number(this.fields['size.physical']);
    this.remaining = Number.isSafeInteger(size) && size >= 0 ? size : Infinity;
    this.keep = this.accept(this.fields);
    if (!this.keep) this.skipped++;
    this.kept = [];
    this.keptLen = 0;
    this.textLen = 0;
    if (this.remaining === 0) {
      this.state = 'sep';
      this.sep = Buffer.alloc(0);
    }
  }

  private take(b: Buffer): void {
    this.textLen += b.length;
    if (!this.keep || this.keptLen >= this.maxBytes) return;
    const part = b.subarray(0, this.maxBytes - this.keptLen);
    this.kept.push(Buffer.from(part)); // a copy: the chunk itself is not kept alive
    this.keptLen += part.length;
  }

  private finish(truncated: boolean): void {
    const size = Number(this.fields['size.physical']);
    this.found = {
      fields: this.fields,
      text: Buffer.concat(this.kept),
      textSize: truncated && Number.isSafeInteger(size) ? size : this.textLen,
      truncated: truncated || this.textLen > this.keptLen,
    };
  }

  private nextRecord(): void {
    this.state = 'fields';
    this.fields = {};
    this.keep = false;
    this.kept = [];
    this.keptLen = 0;
  }
}

/**
 * Read one message of a set: headers (decoded), the text/plain part (decoded to UTF-8), the text/html part as a
 * string (for a sanitiser: never rendered here) and the attachments, from at most `maxBytes` of the message.
 */
export async function readMessage(ctx: HostContext, account: string, setRef: BackupSetRef, locator: MessageLocator, opts: ReadMessageOptions = {}): Promise<DovecotMessage> {
  checkAccountName('dovecot', account, { host: ctx.config.name });
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) throw new UsageError(`maxBytes must be a whole number of bytes above 0 (got ${String(maxBytes)})`);
  if (opts.set) return readFromSet(ctx, account, opts.set, locator, maxBytes, opts);
  // The live set needs nothing opened (no settings read): the fetch is the only command.
  if (setRef.kind === 'live') return readFromSet(ctx, account, { ref: setRef, label: setLabel(setRef), overrides: {}, onlyMailbox: null }, locator, maxBytes, opts);
  const set = await openSet(ctx, account, setRef, { ...opts.openSet, signal: opts.signal });
  try {
    return await readFromSet(ctx, account, set, locator, maxBytes, opts);
  } finally {
    await set.close();
  }
}

async function readFromSet(ctx: HostContext, account: string, set: Pick<OpenedSet, 'ref' | 'label' | 'overrides' | 'onlyMailbox'>, locator: MessageLocator, maxBytes: number, opts: ReadMessageOptions): Promise<DovecotMessage> {
  const host = ctx.config.name;
  let mailbox = locator.mailbox;
  if (set.onlyMailbox !== null) {
    if (mailbox !== undefined && !sameMailbox(mailbox, set.onlyMailbox)) {
      throw new UsageError(`the ${set.label} set has one mailbox, ${JSON.stringify(set.onlyMailbox)}, not ${JSON.stringify(mailbox)}`, { host });
    }
    mailbox = set.onlyMailbox;
  }
  if (!('guid' in locator) && !('mailboxGuid' in locator) && (mailbox === undefined || mailbox === '')) throw new UsageError('which mailbox? (a UID needs its mailbox)');
  const query = messageQuery(locator, mailbox);
  const what = describeLocator(locator, mailbox);
  const argv = doveadmArgv(ctx.config, ['-f', 'pager', ...doveadmMailArgs(['fetch'], account, [], [MESSAGE_FETCH_FIELDS.join(' '), ...query], ctx.config.name)], set.overrides);
  const reader = new PagerMessageReader(maxBytes, (f) => mailbox === undefined || 'mailboxGuid' in locator || sameMailbox(f.mailbox ?? '', mailbox));
  const proc = ctx.transport.spawn(argv, { signal: opts.signal, timeoutMs: opts.timeoutMs ?? 120_000 });
  let stderr = '';
  proc.stderr.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-64 * 1024);
  });
  const exit = proc.exit.then(
    (s) => ({ ok: true as const, s }),
    (e: unknown) => ({ ok: false as const, e }),
  );
  let stopped = false;
  try {
    for await (const chunk of proc.stdout as AsyncIterable<Buffer>) {
      if (reader.push(chunk)) {
        stopped = true;
        break;
      }
    }
  } finally {
    if (stopped || opts.signal?.aborted) proc.cancel(stopped ? 'message read' : 'cancelled');
  }
  const x = await exit;
  const rec = stopped ? reader.found : reader.end();
  if (!stopped) {
    if (!x.ok) throw x.e;
    if (x.s.code !== 0) {
      throw doveadmFailure(ctx, argv, x.s.code, x.s.signal, stderr, {
        what: `reading message ${what} of ${account} (${set.label}) failed`,
        explain: (code) => (code === 67 ? { meaning: `no such user: ${account}`, hint: 'mailops accounts lists the accounts' } : undefined),
      });
    }
  } else if (!x.ok && !(x.e instanceof TransportError)) throw x.e;
  if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : new TransportError('cancelled', 'cancelled');
  if (!rec) {
    const source = set.ref.kind === 'live' ? '' : ` --source ${set.label}`;
    throw new MessageNotFoundError(host, account, set.label, what, mailbox !== undefined ? `mailops messages ${JSON.stringify(account)} ${JSON.stringify(mailbox)}${source} lists its messages` : `the message is not in this set`);
  }
  const total = Number(rec.fields['size.physical']);
  const preview = previewMessage(rec.text, { truncated: rec.truncated, totalSize: Number.isSafeInteger(total) ? Math.max(total, rec.textSize) : rec.textSize });
  return {
    host,
    account,
    set: set.label,
    mailbox: rec.fields.mailbox ?? mailbox ?? '',
    uid: Number(rec.fields.uid),
    guid: rec.fields.guid ?? '',
    ...preview,
  };
}
