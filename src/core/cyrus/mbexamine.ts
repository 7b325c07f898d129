/**
 * `mbexamine NAME`: Cyrus's own view of a mailbox. Mailops uses it where one mailbox's count must be right
 * (a restore's success check): it gives two counts that do not depend on Mailops knowing the index layout —
 * the header's "Number of Messages" as Cyrus itself read it, and the message records it lists (expunged ones
 * skipped). Parsed on output captured from Cyrus 3.6.1 and 3.10.2 (test/fixtures/cyrus310).
 *
 * Each listed message is followed by its cache items, ` Name>{N}` and then N raw bytes (header text of the
 * message, newlines included). They are skipped by byte count, so a message whose Subject reads like a record
 * line ("000001> UID:…") cannot be counted.
 */
import { MailopsError } from '../errors';
import type { HostContext } from '../hosts/context';
import { commandError, displayCommand, toolArgv, type CyrusEnv } from './tools';

export interface ExaminedMailbox {
  /** As mbexamine printed it: the admin's name of the mailbox (modified UTF-7), as the tools take it. */
  name: string;
  minorVersion: number | null;
  /** "Number of Messages" of the index header, as Cyrus read it. */
  headerMessages: number | null;
  size: number | null;
  uidvalidity: number | null;
  lastUid: number | null;
  /** Message records listed (mbexamine skips expunged ones). */
  listed: number;
}

const HEADER_SUFFIX = '... Mailbox Header Info:';
const CACHE_ITEM = /^ (?:Envel|BdyStr|Body|CacHdr|From|To|Cc|Bcc|Subjct)>\{(\d+)\}/;
const EMPTY = Buffer.alloc(0);

/** Streaming parser of mbexamine's output: push() chunks, end() returns the mailboxes examined. */
export class MbexamineParser {
  private pending: Buffer = EMPTY;
  /** Bytes of a cache item's value still to skip. */
  private skip = 0;
  private cur: ExaminedMailbox | null = null;
  private readonly out: ExaminedMailbox[] = [];

  push(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.drain(false);
  }

  end(): ExaminedMailbox[] {
    this.drain(true);
    if (this.skip > 0) throw new Error(`mbexamine output ended inside a cache item (${this.skip} bytes missing)`);
    if (this.cur) this.out.push(this.cur);
    this.cur = null;
    return this.out;
  }

  private drain(final: boolean): void {
    let b = this.pending;
    for (;;) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, b.length);
        this.skip -= n;
        b = b.subarray(n);
        if (this.skip > 0) break;
      }
      if (b.length === 0) break;
      let nl = b.indexOf(0x0a);
      if (nl < 0) {
        if (!final) break;
        nl = b.length;
      }
      const line = b.toString('utf8', 0, nl);
      const item = CACHE_ITEM.exec(line);
      if (item) {
        // The value starts right after `}` and may run over many lines: skip it by its byte count, then the
        // newline print_rec() ends it with is read as an empty line.
        b = b.subarray(item[0].length);
        this.skip = Number(item[1]);
        continue;
      }
      b = b.subarray(Math.min(nl + 1, b.length));
      this.line(line);
    }
    this.pending = b.length ? Buffer.from(b) : EMPTY;
  }

  private line(line: string): void {
    if (line.startsWith('Examining ')) {
      // A mailbox that failed to open leaves `Examining X...` without a newline (its error goes to stderr), so
      // the next one follows on the same line: the name is after the last such prefix.
      if (!line.endsWith(HEADER_SUFFIX)) return;
      const body = line.slice('Examining '.length, -HEADER_SUFFIX.length);
      const at = body.lastIndexOf('...Examining ');
      if (this.cur) this.out.push(this.cur);
      this.cur = { name: at >= 0 ? body.slice(at + '...Examining '.length) : body, minorVersion: null, headerMessages: null, size: null, uidvalidity: null, lastUid: null, listed: 0 };
      return;
    }
    let m = /^\d{6,}> UID:\d+ /.exec(line);
    if (m) {
      this.current(line).listed++;
      return;
    }
    m = /^ {2}Minor Version: (\d+)$/.exec(line);
    if (m) {
      this.current(line).minorVersion = Number(m[1]);
      return;
    }
    m = /^ {2}Number of Messages: (\d+) {2}Mailbox Size: (\d+) bytes/.exec(line);
    if (m) {
      const c = this.current(line);
      c.headerMessages = Number(m[1]);
      c.size = Number(m[2]);
      return;
    }
    m = /^ {2}UIDValidity: (\d+) {2}Last UID: (\d+)$/.exec(line);
    if (m) {
      const c = this.current(line);
      c.uidvalidity = Number(m[1]);
      c.lastUid = Number(m[2]);
    }
  }

  private current(line: string): ExaminedMailbox {
    if (!this.cur) throw new Error(`unexpected line in mbexamine output before any "Examining": ${line.slice(0, 200)}`);
    return this.cur;
  }
}

/** Parse a whole mbexamine output (tests, small outputs). */
export function parseMbexamine(out: Buffer | string): ExaminedMailbox[] {
  const p = new MbexamineParser();
  p.push(Buffer.isBuffer(out) ? out : Buffer.from(out, 'utf8'));
  return p.end();
}

/**
 * Run `mbexamine NAME` and return that mailbox (its output streams through the parser: a folder of 100,000
 * messages prints about 100 MB). NAME is the tools' name; mbexamine takes it as a pattern, so the block whose
 * name is exactly NAME is the one returned.
 */
export async function examineMailbox(ctx: HostContext, env: CyrusEnv, name: string, signal?: AbortSignal): Promise<ExaminedMailbox> {
  const argv = toolArgv(ctx, env, 'mbexamine', [], [name]);
  const proc = ctx.transport.spawn(argv, { signal, timeoutMs: 3600_000 });
  const parser = new MbexamineParser();
  const stderr: Buffer[] = [];
  proc.stderr.on('data', (c: Buffer) => stderr.push(c));
  const exit = proc.exit;
  exit.catch(() => undefined);
  let found: ExaminedMailbox[];
  try {
    for await (const chunk of proc.stdout) parser.push(chunk as Buffer);
    found = parser.end();
  } catch (e) {
    proc.cancel('parse error');
    throw new MailopsError(`the output of mbexamine ${name} could not be read: ${(e as Error).message}`, { host: ctx.config.name, command: displayCommand(argv), hint: 'run the command by hand on the host and report its output' });
  }
  const st = await exit;
  const err = Buffer.concat(stderr).toString('utf8');
  if (st.code !== 0) throw commandError(ctx, argv, st.code, st.signal, err, { what: `mbexamine of ${name} failed`, meaning: st.code === 67 ? 'no mailbox of that name' : undefined });
  const box = found.find((f) => f.name === name);
  if (!box) {
    throw new MailopsError(`mbexamine printed no mailbox named ${name}`, {
      host: ctx.config.name,
      command: displayCommand(argv),
      stderr: err,
      meaning: found.length ? `it examined ${found.map((f) => f.name).join(', ')}` : 'it examined nothing',
      hint: 'run the command by hand on the host',
    });
  }
  return box;
}
