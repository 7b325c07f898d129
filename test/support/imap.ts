/**
 * A tiny IMAP4rev1 client for tests (node:net / node:tls): tagged commands, synchronizing literals in both
 * directions, untagged responses collected per command. Enough to LOGIN, LIST, CREATE, DELETE, RENAME,
 * SELECT, APPEND, STORE, EXPUNGE and FETCH against a real server. Names are passed as the server expects
 * them (modified UTF-7 for non-ASCII: see src/core/cyrus/utf7.ts encodeMutf7).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** One server response line; `{N}` literals are cut out into `literals` and replaced by `{N}` in text. */
export interface ImapLine {
  text: string;
  literals: Buffer[];
}

export interface ImapResult {
  tag: string;
  status: 'OK' | 'NO' | 'BAD';
  /** Text after the status on the tagged line. */
  text: string;
  untagged: ImapLine[];
}

export class ImapCommandError extends Error {
  constructor(readonly command: string, readonly result: ImapResult) {
    super(`IMAP ${command.split(' ')[0]} failed: ${result.status} ${result.text}`);
  }
}

/** A string argument: atom when safe, quoted when printable ASCII, else a literal. */
export type Arg = string | { literal: Buffer | string } | { raw: string };

export function quoteImap(s: string): Arg {
  if (/^[\x20-\x7e]*$/.test(s) && !/[\r\n]/.test(s)) return { raw: `"${s.replace(/(["\\])/g, '\\$1')}"` };
  return { literal: s };
}

export class ImapClient {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  private closed = false;
  private error: Error | null = null;
  private tagN = 0;
  greeting = '';

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', (e) => {
      this.error = e;
      this.wake();
    });
  }

  static async connect(opts: { host: string; port: number; tls?: boolean; timeoutMs?: number }): Promise<ImapClient> {
    const socket = opts.tls
      ? tlsConnect({ host: opts.host, port: opts.port, rejectUnauthorized: false })
      : netConnect({ host: opts.host, port: opts.port });
    socket.setTimeout(opts.timeoutMs ?? 30_000, () => socket.destroy(new Error('IMAP timeout')));
    const c = new ImapClient(socket);
    const g = await c.readLine();
    c.greeting = g.text;
    if (!/^\* (OK|PREAUTH)/i.test(g.text)) throw new Error(`unexpected IMAP greeting: ${g.text}`);
    return c;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async more(): Promise<void> {
    if (this.error) throw this.error;
    if (this.closed) throw new Error('IMAP connection closed');
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private async readRawLine(): Promise<Buffer> {
    for (;;) {
      const i = this.buf.indexOf('\r\n');
      if (i >= 0) {
        const line = this.buf.subarray(0, i);
        this.buf = this.buf.subarray(i + 2);
        return line;
      }
      await this.more();
    }
  }

  private async readBytes(n: number): Promise<Buffer> {
    while (this.buf.length < n) await this.more();
    const b = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return Buffer.from(b);
  }

  /** One logical response line, literals included. */
  async readLine(): Promise<ImapLine> {
    let text = '';
    const literals: Buffer[] = [];
    for (;;) {
      const raw = (await this.readRawLine()).toString('latin1');
      text += raw;
      const m = /\{(\d+)\}$/.exec(raw);
      if (!m) return { text: Buffer.from(text, 'latin1').toString('utf8'), literals };
      literals.push(await this.readBytes(Number(m[1])));
    }
  }

  /** Send a command made of parts; literals wait for the server's continuation. */
  async command(parts: Arg[] | string, opts: { allowFailure?: boolean } = {}): Promise<ImapResult> {
    const tag = `t${++this.tagN}`;
    const list = typeof parts === 'string' ? [{ raw: parts }] : parts;
    const untagged: ImapLine[] = [];
    let pending = `${tag} `;
    let first = true;
    for (const p of list) {
      if (!first) pending += ' ';
      first = false;
      if (typeof p === 'string') pending += p;
      else if ('raw' in p) pending += p.raw;
      else {
        const bytes = typeof p.literal === 'string' ? Buffer.from(p.literal, 'utf8') : p.literal;
        this.socket.write(`${pending}{${bytes.length}}\r\n`);
        pending = '';
        for (;;) {
          const l = await this.readLine();
          if (l.text.startsWith('+')) break;
          if (l.text.startsWith(`${tag} `)) return this.finish(tag, l, untagged, list, opts);
          untagged.push(l);
        }
        this.socket.write(bytes);
      }
    }
    this.socket.write(`${pending}\r\n`);
    for (;;) {
      const l = await this.readLine();
      if (l.text.startsWith(`${tag} `)) return this.finish(tag, l, untagged, list, opts);
      if (!l.text.startsWith('+')) untagged.push(l);
    }
  }

  private finish(tag: string, l: ImapLine, untagged: ImapLine[], list: Arg[], opts: { allowFailure?: boolean }): ImapResult {
    const m = /^\S+ (OK|NO|BAD)\s?(.*)$/i.exec(l.text);
    const result: ImapResult = { tag, status: (m?.[1]?.toUpperCase() ?? 'BAD') as ImapResult['status'], text: m?.[2] ?? l.text, untagged };
    if (result.status !== 'OK' && !opts.allowFailure) {
      const shown = list.map((p) => (typeof p === 'string' ? p : 'raw' in p ? p.raw : '{literal}')).join(' ');
      throw new ImapCommandError(shown.startsWith('LOGIN') ? 'LOGIN …' : shown, result);
    }
    return result;
  }

  login(user: string, password: string): Promise<ImapResult> {
    return this.command(['LOGIN', quoteImap(user), quoteImap(password)]);
  }

  /** LIST "" pattern → names as the server sends them (modified UTF-7). */
  async list(pattern = '*', reference = ''): Promise<Array<{ name: string; flags: string; delimiter: string }>> {
    const r = await this.command(['LIST', quoteImap(reference), quoteImap(pattern)]);
    const out: Array<{ name: string; flags: string; delimiter: string }> = [];
    for (const l of r.untagged) {
      const m = /^\* LIST \(([^)]*)\) (NIL|"(?:[^"\\]|\\.)*") (.*)$/.exec(l.text);
      if (!m) continue;
      const delimiter = m[2] === 'NIL' ? '' : m[2]!.slice(1, -1).replace(/\\(.)/g, '$1');
      let name = m[3]!;
      if (/^\{\d+\}$/.test(name)) name = l.literals[0]!.toString('utf8');
      else if (name.startsWith('"')) name = name.slice(1, -1).replace(/\\(.)/g, '$1');
      out.push({ name, flags: m[1]!, delimiter });
    }
    return out;
  }

  create(name: string): Promise<ImapResult> {
    return this.command(['CREATE', quoteImap(name)]);
  }

  /** SELECT and return EXISTS and UIDVALIDITY. */
  async select(name: string): Promise<{ exists: number; uidvalidity: number; uidnext: number }> {
    const r = await this.command(['SELECT', quoteImap(name)]);
    let exists = 0;
    let uidvalidity = 0;
    let uidnext = 0;
    for (const l of r.untagged) {
      const e = /^\* (\d+) EXISTS/.exec(l.text);
      if (e) exists = Number(e[1]);
      const v = /UIDVALIDITY (\d+)/.exec(l.text);
      if (v) uidvalidity = Number(v[1]);
      const n = /UIDNEXT (\d+)/.exec(l.text);
      if (n) uidnext = Number(n[1]);
    }
    return { exists, uidvalidity, uidnext };
  }

  /** APPEND a message; returns the new UID when the server answers APPENDUID. */
  async append(mailbox: string, message: Buffer | string, opts: { flags?: string[]; date?: string } = {}): Promise<number | null> {
    const parts: Arg[] = ['APPEND', quoteImap(mailbox)];
    if (opts.flags?.length) parts.push({ raw: `(${opts.flags.join(' ')})` });
    if (opts.date) parts.push({ raw: `"${opts.date}"` });
    parts.push({ literal: typeof message === 'string' ? Buffer.from(message.replace(/\r?\n/g, '\r\n'), 'utf8') : message });
    const r = await this.command(parts);
    const m = /APPENDUID \d+ (\d+)/.exec(r.text);
    return m ? Number(m[1]) : null;
  }

  /** UID SEARCH ALL (or a criterion) in the selected mailbox. */
  async uids(criteria = 'ALL'): Promise<number[]> {
    const r = await this.command(`UID SEARCH ${criteria}`);
    const out: number[] = [];
    for (const l of r.untagged) {
      const m = /^\* SEARCH(.*)$/.exec(l.text);
      if (m) out.push(...m[1]!.trim().split(/\s+/).filter(Boolean).map(Number));
    }
    return out.sort((a, b) => a - b);
  }

  /** Mark UIDs \Deleted and EXPUNGE them (UID EXPUNGE when the server has UIDPLUS). */
  async expungeUids(uids: number[]): Promise<void> {
    await this.command(`UID STORE ${uids.join(',')} +FLAGS.SILENT (\\Deleted)`);
    await this.command(`UID EXPUNGE ${uids.join(',')}`);
  }

  /** FETCH full bodies and flags by UID. */
  async fetchBodies(uidSet = '1:*'): Promise<Array<{ uid: number; flags: string[]; body: Buffer }>> {
    const r = await this.command(`UID FETCH ${uidSet} (UID FLAGS BODY.PEEK[])`);
    const out: Array<{ uid: number; flags: string[]; body: Buffer }> = [];
    for (const l of r.untagged) {
      if (!/^\* \d+ FETCH/.test(l.text)) continue;
      const uid = Number(/UID (\d+)/.exec(l.text)?.[1]);
      const flags = (/FLAGS \(([^)]*)\)/.exec(l.text)?.[1] ?? '').split(' ').filter(Boolean);
      out.push({ uid, flags, body: l.literals[0] ?? Buffer.alloc(0) });
    }
    return out.sort((a, b) => a.uid - b.uid);
  }

  async logout(): Promise<void> {
    try {
      await this.command('LOGOUT', { allowFailure: true });
    } catch {
      /* the server closes the connection right after BYE */
    }
    this.socket.destroy();
  }

  close(): void {
    this.socket.destroy();
  }
}
