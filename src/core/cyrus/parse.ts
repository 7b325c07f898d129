/**
 * Parsers for what the Cyrus tools print, all tested on real captured output (test/fixtures/cyrus: Cyrus 3.6;
 * test/fixtures/cyrus310: 3.6 and 3.10). Index headers: indexHeader.ts; mbexamine: mbexamine.ts.
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
  /** The chunk being read and the read position in it (no copy of the chunk is made). */
  private buf: Buffer = EMPTY;
  private pos = 0;
  /** Bytes of a line or literal that began in an earlier chunk (copied: usually a few dozen bytes). */
  private carry: Buffer | null = null;
  private cur: ExpungedRecord | null = null;
  private literal: { field: 'subject'; bytes: number } | null = null;
  failure: string | null = null;

  push(chunk: Buffer): ExpungedRecord[] {
    this.buf = chunk;
    this.pos = 0;
    const out = this.drain(false);
    this.buf = EMPTY;
    return out;
  }

  end(): ExpungedRecord[] {
    this.buf = EMPTY;
    this.pos = 0;
    const out = this.drain(true);
    if (this.cur) out.push(this.cur);
    this.cur = null;
    return out;
  }

  private keep(part: Buffer): void {
    if (part.length === 0) return;
    this.carry = this.carry ? Buffer.concat([this.carry, part]) : Buffer.from(part);
  }

  private drain(final: boolean): ExpungedRecord[] {
    const out: ExpungedRecord[] = [];
    const buf = this.buf;
    const n = buf.length;
    for (;;) {
      if (this.literal) {
        const have = this.carry ? this.carry.length : 0;
        const need = this.literal.bytes - have;
        if (n - this.pos < need) {
          if (!final) {
            this.keep(buf.subarray(this.pos));
            this.pos = n;
            break;
          }
          throw new UnexpungeOutputError('unexpunge -l output ended inside a literal');
        }
        const end = this.pos + Math.max(need, 0);
        const text = this.carry ? Buffer.concat([this.carry, buf.subarray(this.pos, end)]).toString('utf8', 0, this.literal.bytes) : buf.toString('utf8', this.pos, end);
        if (this.carry && need < 0) this.carry = this.carry.subarray(this.literal.bytes);
        else this.carry = null;
        this.pos = end;
        if (this.cur) this.cur.subject = text;
        this.literal = null;
        continue;
      }
      let nl = buf.indexOf(0x0a, this.pos);
      if (nl < 0) {
        if (!final) {
          this.keep(buf.subarray(this.pos));
          this.pos = n;
          break;
        }
        if (this.pos >= n && !this.carry?.length) break;
        nl = n;
      }
      let line: Buffer;
      let s: number;
      let e: number;
      if (this.carry) {
        line = Buffer.concat([this.carry, buf.subarray(this.pos, nl)]);
        this.carry = null;
        s = 0;
        e = line.length;
      } else {
        line = buf;
        s = this.pos;
        e = nl;
      }
      this.pos = Math.min(nl + 1, n);
      if (e > s && line[e - 1] === 0x0d) e--;
      const r = this.lineBytes(line, s, e);
      if (r) out.push(r);
    }
    return out;
  }

  /** One line, bytes [s, e) of b (no line break): the usual lines read from the bytes, anything else by line(). */
  private lineBytes(b: Buffer, s: number, e: number): ExpungedRecord | null {
    const len = e - s;
    const c0 = b[s];
    if (c0 === 0x09 && len >= 6 && b[s + 5] === 0x3a && this.cur) {
      const f = FIELD[(b[s + 1]! << 24) | (b[s + 2]! << 16) | (b[s + 3]! << 8) | b[s + 4]!];
      if (f !== undefined) {
        const vs = b[s + 6] === 0x20 && len > 6 ? s + 7 : s + 6;
        const v = b.toString('utf8', vs, e);
        // `.` in the line pattern stops at these: such a line is line()'s to judge.
        if (!LINE_BREAKS.test(v)) {
          this.field(f, v);
          return null;
        }
      }
    } else if (c0 === 0x55 && len > 5 && b[s + 1] === 0x49 && b[s + 2] === 0x44 && b[s + 3] === 0x3a && b[s + 4] === 0x20) {
      let digits = true;
      for (let i = s + 5; i < e; i++) {
        const c = b[i]!;
        if (c < 0x30 || c > 0x39) {
          digits = false;
          break;
        }
      }
      if (digits) return this.startRecord(Number(b.toString('latin1', s + 5, e)));
    }
    return this.line(b.toString('utf8', s, e));
  }

  private startRecord(uid: number): ExpungedRecord | null {
    const done = this.cur;
    this.cur = { uid, size: 0, sent: null, received: null, expunged: null, from: null, to: null, cc: null, bcc: null, subject: null, cacheError: false };
    return done;
  }

  private field(name: string, v: string): void {
    const cur = this.cur!;
    switch (name) {
      case 'Size': cur.size = Number(v); break;
      case 'Sent': cur.sent = this.ctime(v); break;
      case 'Recv': cur.received = this.ctime(v); break;
      case 'Expg': cur.expunged = this.ctime(v); break;
      case 'From': cur.from = v === '' ? null : v; break;
      case 'To  ': cur.to = v === '' ? null : v; break;
      case 'Cc  ': cur.cc = v === '' ? null : v; break;
      case 'Bcc ': cur.bcc = v === '' ? null : v; break;
      case 'Subj': {
        const lit = /^\{(\d+)\}$/.exec(v);
        if (lit) this.literal = { field: 'subject', bytes: Number(lit[1]) };
        else cur.subject = unquote(v);
        break;
      }
    }
  }

  /** parseCtime, remembering the last few texts (dates repeat: one expunge run, one delivery burst). */
  private readonly ctimeCache = new Map<string, string | null>();
  private ctime(v: string): string | null {
    let r = this.ctimeCache.get(v);
    if (r === undefined) {
      r = parseCtime(v);
      if (this.ctimeCache.size >= 256) this.ctimeCache.clear();
      this.ctimeCache.set(v, r);
    }
    return r;
  }

  private line(line: string): ExpungedRecord | null {
    if (line.startsWith('Failed to open mailbox')) {
      this.failure = line.trim();
      return null;
    }
    const uid = /^UID: (\d+)$/.exec(line);
    if (uid) return this.startRecord(Number(uid[1]));
    if (line === '') return null;
    const f = /^\t(Size|Sent|Recv|Expg|From|To {2}|Cc {2}|Bcc |Subj): ?(.*)$/.exec(line);
    if (f && this.cur) {
      this.field(f[1]!, f[2]!);
      return null;
    }
    if (/^\tERROR: cache record missing or corrupt/.test(line) && this.cur) {
      this.cur.cacheError = true;
      return null;
    }
    throw new UnexpungeOutputError(`unexpected line in unexpunge -l output: ${line.slice(0, 200)}`);
  }
}

const EMPTY = Buffer.alloc(0);
/** The field names of `unexpunge -l` lines (`\tName: value`), keyed by their four bytes. */
const FIELD: Record<number, string> = {};
for (const name of ['Size', 'Sent', 'Recv', 'Expg', 'From', 'To  ', 'Cc  ', 'Bcc ', 'Subj']) FIELD[Buffer.from(name, 'latin1').readInt32BE(0)] = name;
const LINE_BREAKS = /[\r\u2028\u2029]/;

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

// ---------------------------------------------------------------- head -v -c N (cyrus.index headers: see indexHeader.ts)

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
