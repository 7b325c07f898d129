/**
 * Parsers for what the Cyrus 3.6 tools print, all tested on real captured output (test/fixtures/cyrus).
 * Streaming where the output grows with the server (ctl_mboxlist -d, unexpunge -l): memory stays bounded
 * by one entry.
 */

// ---------------------------------------------------------------- ctl_mboxlist -d

/** One entry of `ctl_mboxlist -d` (one JSON object keyed by internal name, one entry per line). */
export interface MboxlistEntry {
  name: string;
  /** Letters: e mail, d tombstone (skipped), r remote, i intermediate … */
  mbtype: string;
  partition: string | null;
  uniqueid: string | null;
  mtime: number | null;
  uidvalidity: number | null;
  acl: Record<string, string>;
}

function num(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return null;
}

/**
 * Parse one line of `ctl_mboxlist -d`: `"NAME": {…},`. The opening `{` and closing `}` lines give null.
 * Throws on a line that is neither (the format changed: better to stop than to skip mailboxes silently).
 */
export function parseMboxlistLine(line: string): MboxlistEntry | null {
  const t = line.trim();
  if (t === '' || t === '{' || t === '}') return null;
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(`{${t.endsWith(',') ? t.slice(0, -1) : t}}`) as Record<string, unknown>;
  } catch {
    throw new Error(`unexpected line in ctl_mboxlist -d output: ${t.slice(0, 200)}`);
  }
  const keys = Object.keys(obj);
  if (keys.length !== 1) throw new Error(`unexpected line in ctl_mboxlist -d output: ${t.slice(0, 200)}`);
  const key = keys[0]!;
  const v = obj[key] as Record<string, unknown>;
  return {
    name: typeof v.name === 'string' ? v.name : key,
    mbtype: typeof v.mbtype === 'string' ? v.mbtype : '',
    partition: typeof v.partition === 'string' ? v.partition : null,
    uniqueid: typeof v.uniqueid === 'string' ? v.uniqueid : null,
    mtime: num(v.mtime),
    uidvalidity: num(v.uidvalidity),
    acl: typeof v.acl === 'object' && v.acl !== null ? (v.acl as Record<string, string>) : {},
  };
}

/** Tombstones (mbtype with `d`) are what is left of deleted mailboxes in mailboxes.db: never shown. */
export function isTombstone(e: MboxlistEntry): boolean {
  return e.mbtype.includes('d');
}

/** Entries of a `ctl_mboxlist -d` line stream, tombstones skipped. */
export async function* readMboxlist(lines: AsyncIterable<string>): AsyncGenerator<MboxlistEntry> {
  for await (const line of lines) {
    const e = parseMboxlistLine(line);
    if (e && !isTombstone(e)) yield e;
  }
}

// ---------------------------------------------------------------- unexpunge -l

export interface ExpungedRecord {
  uid: number;
  size: number;
  /** Date header, day precision (Cyrus keeps the sent date without the time of day). ISO, UTC. */
  sent: string | null;
  /** INTERNALDATE (received), ISO UTC. */
  received: string | null;
  /** When it was expunged (last_updated), ISO UTC. */
  expunged: string | null;
  /** Header values as Cyrus cached them (8-bit header bytes appear as X; RFC 2047 words decoded by Cyrus). */
  from: string | null;
  to: string | null;
  cc: string | null;
  bcc: string | null;
  /** null for NIL (no Subject header) or when the cache record is unreadable. */
  subject: string | null;
  /** `ERROR: cache record missing or corrupt`: only size and dates are known. */
  cacheError: boolean;
}

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

/** `Wed Mar  4 00:00:00 2015` (ctime, printed with TZ=UTC) → ISO string; null when not a ctime. */
export function parseCtime(s: string): string | null {
  const m = /^\w{3} (\w{3}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/.exec(s.trim());
  if (!m || MONTHS[m[1]!] === undefined) return null;
  return new Date(Date.UTC(Number(m[6]), MONTHS[m[1]!]!, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]))).toISOString();
}

/** An IMAP quoted string or NIL (literals are handled by the parser) → text. */
function unquote(v: string): string | null {
  if (v === 'NIL') return null;
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\(["\\])/g, '$1');
  return v;
}

export class UnexpungeOutputError extends Error {
  constructor(readonly text: string) {
    super(text);
  }
}

/**
 * Streaming parser of `unexpunge -l` (byte exact: `Subj: {N}` literals are read by byte count).
 * push() returns the records completed by that chunk; end() the last one. A `Failed to open mailbox` text
 * (printed without a newline, exit code 0) is reported by `failure` after end().
 */
export class UnexpungeListParser {
  private buf: Buffer = Buffer.alloc(0);
  private cur: ExpungedRecord | null = null;
  private literal: { field: 'subject'; bytes: number } | null = null;
  failure: string | null = null;

  push(chunk: Buffer): ExpungedRecord[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    return this.drain(false);
  }

  end(): ExpungedRecord[] {
    const out = this.drain(true);
    if (this.cur) out.push(this.cur);
    this.cur = null;
    return out;
  }

  private drain(final: boolean): ExpungedRecord[] {
    const out: ExpungedRecord[] = [];
    for (;;) {
      if (this.literal) {
        if (this.buf.length < this.literal.bytes) {
          if (!final) break;
          throw new UnexpungeOutputError('unexpunge -l output ended inside a literal');
        }
        const text = this.buf.subarray(0, this.literal.bytes).toString('utf8');
        this.buf = this.buf.subarray(this.literal.bytes);
        if (this.cur) this.cur.subject = text;
        this.literal = null;
        continue;
      }
      let nl = this.buf.indexOf(0x0a);
      if (nl < 0) {
        if (!final || this.buf.length === 0) break;
        nl = this.buf.length;
      }
      let line = this.buf.subarray(0, nl).toString('utf8');
      this.buf = this.buf.subarray(Math.min(nl + 1, this.buf.length));
      if (line.endsWith('\r')) line = line.slice(0, -1);
      const r = this.line(line);
      if (r) out.push(r);
    }
    return out;
  }

  private line(line: string): ExpungedRecord | null {
    if (line.startsWith('Failed to open mailbox')) {
      this.failure = line.trim();
      return null;
    }
    const uid = /^UID: (\d+)$/.exec(line);
    if (uid) {
      const done = this.cur;
      this.cur = { uid: Number(uid[1]), size: 0, sent: null, received: null, expunged: null, from: null, to: null, cc: null, bcc: null, subject: null, cacheError: false };
      return done;
    }
    if (line === '') return null;
    const f = /^\t(Size|Sent|Recv|Expg|From|To  |Cc  |Bcc |Subj): ?(.*)$/.exec(line);
    if (f && this.cur) {
      const v = f[2]!;
      switch (f[1]) {
        case 'Size': this.cur.size = Number(v); break;
        case 'Sent': this.cur.sent = parseCtime(v); break;
        case 'Recv': this.cur.received = parseCtime(v); break;
        case 'Expg': this.cur.expunged = parseCtime(v); break;
        case 'From': this.cur.from = v === '' ? null : v; break;
        case 'To  ': this.cur.to = v === '' ? null : v; break;
        case 'Cc  ': this.cur.cc = v === '' ? null : v; break;
        case 'Bcc ': this.cur.bcc = v === '' ? null : v; break;
        case 'Subj': {
          const lit = /^\{(\d+)\}$/.exec(v);
          if (lit) this.literal = { field: 'subject', bytes: Number(lit[1]) };
          else this.cur.subject = unquote(v);
          break;
        }
      }
      return null;
    }
    if (/^\tERROR: cache record missing or corrupt/.test(line) && this.cur) {
      this.cur.cacheError = true;
      return null;
    }
    throw new UnexpungeOutputError(`unexpected line in unexpunge -l output: ${line.slice(0, 200)}`);
  }
}

/** Parse a whole `unexpunge -l` output (tests, small outputs). */
export function parseUnexpungeList(out: Buffer | string): { records: ExpungedRecord[]; failure: string | null } {
  const p = new UnexpungeListParser();
  const records = [...p.push(Buffer.isBuffer(out) ? out : Buffer.from(out, 'utf8')), ...p.end()];
  return { records, failure: p.failure };
}

// ---------------------------------------------------------------- unexpunge -u / -a / -t

export interface UnexpungeResult {
  /** Mailbox as unexpunge named it. */
  mailbox: string | null;
  /** old UID → new UID, in the order restored. */
  restored: Array<{ oldUid: number; newUid: number }>;
  /** From `restored N expunged messages`; null when that line is missing. */
  count: number | null;
  failure: string | null;
}

export function parseUnexpungeResult(out: string): UnexpungeResult {
  const r: UnexpungeResult = { mailbox: null, restored: [], count: null, failure: null };
  for (const line of out.split('\n')) {
    let m = /^restoring (?:all )?expunged messages in mailbox '(.*)'$/.exec(line);
    if (m) {
      r.mailbox = m[1]!;
      continue;
    }
    m = /^Unexpunged (.*): (\d+) => (\d+)$/.exec(line);
    if (m) {
      r.restored.push({ oldUid: Number(m[2]), newUid: Number(m[3]) });
      continue;
    }
    m = /^restored (\d+) expunged messages?$/.exec(line);
    if (m) {
      r.count = Number(m[1]);
      continue;
    }
    if (/^Failed to open mailbox/.test(line)) r.failure = line.trim();
  }
  return r;
}

// ---------------------------------------------------------------- mbpath -j

export interface MbPath {
  intname: string;
  data: string;
  meta: string;
  archive: string | null;
}

/** `mbpath -j NAME…` prints one pretty JSON object per mailbox (unknown names go to stderr). */
export function parseMbpathJson(out: string): MbPath[] {
  const res: MbPath[] = [];
  let acc: string[] = [];
  for (const line of out.split('\n')) {
    if (line === '{') acc = [line];
    else if (acc.length) {
      acc.push(line);
      if (line === '}') {
        const o = JSON.parse(acc.join('\n')) as { data?: string; meta?: string; archive?: string; mbname?: { intname?: string } };
        acc = [];
        if (o.mbname?.intname && o.data) res.push({ intname: o.mbname.intname, data: o.data, meta: o.meta ?? o.data, archive: o.archive ?? null });
      }
    }
  }
  return res;
}

// ---------------------------------------------------------------- cyrus.index header

export interface IndexHeader {
  minorVersion: number;
  numRecords: number;
  lastUid: number;
  /** Bytes of the messages that exist (quota_mailbox_used). */
  size: number;
  uidvalidity: number;
  /** Messages that exist (expunged ones not counted). */
  exists: number;
  lastAppend: number;
}

/**
 * The fixed-size header of cyrus.index (network byte order). Offsets of mailbox.h, checked against
 * mbexamine on Cyrus 3.6 (minor version 17; the same offsets hold from version 12). null when too short
 * or an unknown version.
 */
export function parseIndexHeader(b: Buffer): IndexHeader | null {
  if (b.length < 92) return null;
  const minor = b.readUInt32BE(8);
  if (minor < 12 || minor > 20) return null;
  return {
    minorVersion: minor,
    numRecords: b.readUInt32BE(20),
    lastAppend: b.readUInt32BE(24),
    lastUid: b.readUInt32BE(28),
    size: Number(b.readBigUInt64BE(32)),
    uidvalidity: b.readUInt32BE(44),
    exists: b.readUInt32BE(84),
  };
}

/**
 * Output of `head -c N -- FILE…` for several files: `==> FILE <==\n` then the bytes, a `\n` before the next
 * header. Chunks are found by the exact header of each expected path, in order; missing files are absent.
 */
export function splitHeadOutput(out: Buffer, paths: readonly string[], chunkMax: number): Map<string, Buffer> {
  const res = new Map<string, Buffer>();
  let pos = 0;
  for (const p of paths) {
    const marker = Buffer.from(`==> ${p} <==\n`, 'utf8');
    const at = out.indexOf(marker, pos);
    if (at < 0) continue;
    const start = at + marker.length;
    res.set(p, out.subarray(start, Math.min(start + chunkMax, out.length)));
    pos = start;
  }
  return res;
}
