/**
 * The message files of a folder extracted from a Cyrus archive, read as a stream (issue 11.12): the host prints
 *
 *   ==LIST==
 *   UID. SIZE            one line per message file (find -printf '%f %s\n')
 *   ==HEADS==
 *   ==> UID. <==         GNU `head -v -c MAX` of the same files, in the same order (through xargs, so each
 *   …MIN(SIZE, MAX) bytes  batch starts without the blank line head puts between files)
 *
 * and this parser turns each head into a summary (from, subject, date, Message-ID) as soon as its bytes are
 * in, then drops them: it holds the list (a few bytes per message), the summaries, and at most one head
 * (MAX bytes) plus the chunk being read, whatever the size of the folder. The sizes in the list frame the
 * heads exactly, so a message's own text can never be taken for the next header. Anything unexpected is an
 * error, never a silently shorter list.
 */
import { parseMessage } from './message';

export interface ArchivedMessage {
  uid: number;
  size: number;
  from: string | null;
  subject: string | null;
  date: string | null;
  messageId: string | null;
}

export class ArchivedHeadsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchivedHeadsError';
  }
}

const LIST = Buffer.from('==LIST==\n');
const HEADS = '==HEADS==';
const NL = 0x0a;

export class ArchivedHeadsParser {
  /** Message files as listed, in the order their heads follow. */
  readonly files: Array<{ uid: number; size: number }> = [];
  readonly messages: ArchivedMessage[] = [];
  /** The most bytes this parser held at once (unparsed input plus the head being collected). */
  peakBuffered = 0;
  /** Every byte pushed. */
  bytesSeen = 0;

  private state: 'start' | 'list' | 'heads' = 'start';
  private pending: Buffer = Buffer.alloc(0);
  private index = 0;
  /** Collected bytes of the current head, or null while its header line is awaited. */
  private head: Buffer[] | null = null;
  private headLength = 0;
  private headWant = 0;
  private readonly seen = new Set<number>();

  constructor(private readonly headMax: number) {
    if (!Number.isSafeInteger(headMax) || headMax <= 0) throw new Error('headMax must be a positive whole number');
  }

  push(chunk: Buffer): void {
    this.bytesSeen += chunk.length;
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.note();
    for (;;) {
      if (this.state === 'start') {
        if (this.pending.length < LIST.length) return;
        if (!this.pending.subarray(0, LIST.length).equals(LIST)) throw new ArchivedHeadsError(`the extraction printed ${JSON.stringify(this.pending.subarray(0, 40).toString('latin1'))} where its file list should start`);
        this.pending = this.pending.subarray(LIST.length);
        this.state = 'list';
        continue;
      }
      if (this.state === 'list') {
        const nl = this.pending.indexOf(NL);
        if (nl < 0) {
          if (this.pending.length > 256) throw new ArchivedHeadsError('a line of the file list is longer than 256 bytes');
          return;
        }
        const line = this.pending.subarray(0, nl).toString('latin1');
        this.pending = this.pending.subarray(nl + 1);
        if (line === HEADS) {
          this.state = 'heads';
          continue;
        }
        const m = /^([1-9]\d{0,9})\. (\d{1,15})$/.exec(line);
        if (!m) throw new ArchivedHeadsError(`unexpected line in the file list of the archived folder: ${JSON.stringify(line)}`);
        const uid = Number(m[1]);
        if (this.seen.has(uid)) throw new ArchivedHeadsError(`the file list names ${uid}. twice`);
        this.seen.add(uid);
        this.files.push({ uid, size: Number(m[2]) });
        continue;
      }
      // heads
      if (this.head === null) {
        if (this.index >= this.files.length) {
          if (this.pending.length) throw new ArchivedHeadsError(`${this.pending.length} unexpected bytes after the last message head`);
          return;
        }
        const f = this.files[this.index]!;
        const header = Buffer.from(`==> ${f.uid}. <==\n`);
        // head separates the files of one run by a blank line; a new xargs batch starts without it.
        const skip = this.pending.length && this.pending[0] === NL ? 1 : 0;
        if (this.pending.length < skip + header.length) return;
        if (!this.pending.subarray(skip, skip + header.length).equals(header)) {
          throw new ArchivedHeadsError(`expected the head of ${f.uid}. next, got ${JSON.stringify(this.pending.subarray(skip, skip + 40).toString('latin1'))}`);
        }
        this.pending = this.pending.subarray(skip + header.length);
        this.head = [];
        this.headLength = 0;
        this.headWant = Math.min(f.size, this.headMax);
      }
      const take = Math.min(this.headWant - this.headLength, this.pending.length);
      if (take > 0) {
        // Copy: the chunk can be large and shared; keep only this head's bytes.
        this.head.push(Buffer.from(this.pending.subarray(0, take)));
        this.headLength += take;
        this.pending = this.pending.subarray(take);
      }
      if (this.headLength < this.headWant) {
        this.note();
        return;
      }
      this.finishHead();
    }
  }

  /** Call when the output ended: every listed file must have had its head. */
  end(): ArchivedMessage[] {
    if (this.state !== 'heads') throw new ArchivedHeadsError(this.state === 'start' ? 'the extraction printed no file list' : 'the file list did not end (no ==HEADS== line)');
    if (this.head !== null || this.index < this.files.length) {
      throw new ArchivedHeadsError(`the output ended after ${this.index} of ${this.files.length} message heads`);
    }
    if (this.pending.length) throw new ArchivedHeadsError(`${this.pending.length} unexpected bytes after the last message head`);
    return this.messages;
  }

  private finishHead(): void {
    const f = this.files[this.index]!;
    const raw = Buffer.concat(this.head!);
    this.head = null;
    const m = parseMessage(raw, 0);
    this.messages.push({ uid: f.uid, size: f.size, from: m.from, subject: m.subject, date: m.dateIso ?? m.date, messageId: m.messageId });
    this.index++;
  }

  private note(): void {
    const held = this.pending.length + this.headLength;
    if (held > this.peakBuffered) this.peakBuffered = held;
  }
}
