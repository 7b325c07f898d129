/**
 * An incremental parser for one JSON array arriving as a byte stream (doveadm `-f json` output):
 * it yields the array's elements one at a time as soon as each is complete, so a 100,000-message
 * listing never sits whole in memory. Memory stays bounded by the largest single element.
 *
 * The scanner works on bytes, so chunks may split anywhere: inside a multi-byte UTF-8 character,
 * inside an escape sequence (`\u00e9` split after `\u0`), inside a number or a literal. It only looks for
 * where each top-level element ends; complete elements are decoded (invalid UTF-8 becomes U+FFFD, as
 * doveadm prints header bytes as they are) and parsed by JSON.parse, the precise tokenizer
 * (jsonArrayStreamTokenizer.ts) being the fallback that words the errors (measured: 40 MB of
 * doveadm-shaped output in 0.12-0.15 s instead of 1.05-1.1 s, about the time of one JSON.parse of the
 * whole text).
 */
import { decoder, describe, isAtomByte, JsonStreamError, precise, PreciseTokenizer, type JsonArrayStreamOptions } from './jsonArrayStreamTokenizer';

export { decodeJsonStringBytes, JsonStreamError, type JsonArrayStreamOptions } from './jsonArrayStreamTokenizer';

/** Where JsonArrayParser is between elements of the top-level array. */
const enum Top {
  /** Before the opening `[`. */
  Start,
  /** Right after `[`: an element or `]`. */
  ValueOrEnd,
  /** After `,`: an element. */
  Value,
  /** Inside an element (its bytes are being scanned for its end). */
  InElement,
  /** After an element: `,` or `]`. */
  AfterValue,
  /** After the closing `]`: only whitespace may follow. */
  Done,
}

/**
 * An element spanning chunks is kept as copied bytes until it ends; once it holds this many bytes it is fed
 * to the precise tokenizer as it arrives instead, so malformed input fails early and nothing is kept twice.
 */
const CHECK_PENDING_AFTER = 1024 * 1024;

/**
 * A push parser: feed it chunks, collect finished top-level elements. Use `parseJsonArrayStream` for
 * the async-iterator form.
 *
 * The bytes are only scanned for the boundaries of top-level elements (bracket depth, minding strings and
 * their escapes; the top-level `[`, `,` and `]` are checked here with the precise tokenizer's messages).
 * The elements a chunk completes are decoded and handed to JSON.parse at once; an element JSON.parse
 * refuses goes through the precise tokenizer, which gives the exact error message and offset (or its
 * value, where it is more lenient). An error inside an element is therefore raised when the element
 * ends (or at end() when it never does), with the same message and offset as before.
 */
export class JsonArrayParser {
  private top: Top = Top.Start;
  /** Scanner state inside an element. */
  private depth = 0;
  private inString = false;
  private escaped = false;
  private atom = false;
  /** Stream offset of the first byte of the open element. */
  private elemOffset = 0;
  /** Bytes of the open element read in earlier chunks (copies: the chunk may be reused or should be freed). */
  private pieces: Uint8Array[] = [];
  private pendingBytes = 0;
  /** The precise tokenizer fed with a large open element as it arrives (see CHECK_PENDING_AFTER). */
  private checker: PreciseTokenizer | null = null;
  private offset = 0;
  private elementBytes = 0;
  private readonly maxElementBytes: number;
  /** [start, end) of the elements complete within the current chunk. */
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  constructor(options: JsonArrayStreamOptions = {}) {
    this.maxElementBytes = options.maxElementBytes ?? 256 * 1024 * 1024;
  }

  /** True once the closing `]` of the top-level array was read. */
  get done(): boolean {
    return this.top === Top.Done;
  }

  /** Parse one chunk; returns the top-level elements it completed. */
  push(chunk: Uint8Array): unknown[] {
    const out: unknown[] = [];
    const n = chunk.length;
    this.starts.length = 0;
    this.ends.length = 0;
    let carried = this.top === Top.InElement;
    let elemStart = 0;
    let depth = this.depth;
    let inString = this.inString;
    let escaped = this.escaped;
    let atom = this.atom;
    let i = 0;
    try {
      while (i < n) {
        if (this.top === Top.InElement) {
          let end = -1;
          if (atom) {
            while (i < n && isAtomByte(chunk[i]!)) i++;
            if (i < n) end = i;
          } else {
            while (i < n) {
              if (inString) {
                if (escaped) {
                  escaped = false;
                  i++;
                  continue;
                }
                let c = 0;
                while (i < n && (c = chunk[i]!) !== 0x22 && c !== 0x5c) i++;
                if (i === n) break;
                i++;
                if (c === 0x5c) {
                  escaped = true; // the next byte, maybe in the next chunk
                  continue;
                }
                inString = false;
                if (depth === 0) {
                  end = i;
                  break;
                }
                continue;
              }
              const b = chunk[i++]!;
              if (b === 0x22) inString = true;
              else if (b === 0x7b || b === 0x5b) depth++;
              else if ((b === 0x7d || b === 0x5d) && --depth === 0) {
                end = i;
                break;
              }
            }
          }
          if (end < 0) break;
          if (carried) {
            carried = false;
            out.push(this.finishPending(chunk.subarray(0, end)));
          } else {
            this.starts.push(elemStart);
            this.ends.push(end);
          }
          this.top = Top.AfterValue;
          this.elementBytes = 0;
          continue;
        }
        const b = chunk[i]!;
        if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) {
          i++;
          continue;
        }
        const at = this.offset + i;
        switch (this.top) {
          case Top.Start:
            if (b !== 0x5b) throw new JsonStreamError(`expected "[" to start the array, found ${describe(b)}`, at);
            this.top = Top.ValueOrEnd;
            break;
          case Top.ValueOrEnd:
          case Top.Value:
            if (b === 0x5d && this.top === Top.ValueOrEnd) {
              this.top = Top.Done;
              break;
            }
            depth = 0;
            inString = false;
            escaped = false;
            atom = false;
            if (b === 0x22) inString = true;
            else if (b === 0x7b || b === 0x5b) depth = 1;
            else if (b === 0x2d || (b >= 0x30 && b <= 0x39) || b === 0x74 || b === 0x66 || b === 0x6e) atom = true;
            else throw new JsonStreamError(`expected a value, found ${describe(b)}`, at);
            elemStart = i;
            this.elemOffset = at;
            this.top = Top.InElement;
            break;
          case Top.AfterValue:
            if (b === 0x2c) this.top = Top.Value;
            else if (b === 0x5d) this.top = Top.Done;
            else throw new JsonStreamError(`expected "," or the end of the array, found ${describe(b)}`, at);
            break;
          case Top.Done:
            throw new JsonStreamError(`unexpected ${describe(b)} after the end of the array`, at);
          default:
            throw new JsonStreamError('internal parser state error', at);
        }
        i++;
      }
    } catch (e) {
      // An element completed earlier in this chunk comes first: its fault, if any, is the one to report.
      this.parseComplete(chunk, out);
      throw e;
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    this.atom = atom;
    this.parseComplete(chunk, out);
    if (this.top === Top.InElement) this.addPending(chunk.subarray(carried ? 0 : elemStart, n));
    this.offset += n;
    if (this.top === Top.InElement) {
      // Rough: counts the whole chunk while an element is open.
      this.elementBytes += n;
      if (this.elementBytes > this.maxElementBytes) throw new JsonStreamError(`an element is larger than ${this.maxElementBytes} bytes`, this.offset);
    }
    return out;
  }

  /** Call at the end of the stream: throws when the array was not complete. */
  end(): void {
    if (this.top === Top.Done) return;
    if (this.top === Top.Start) throw new JsonStreamError('the output is empty: no JSON array', this.offset);
    if (this.top === Top.InElement && !this.checker) {
      // A fault inside the unfinished element is the first error (the precise tokenizer throws it).
      PreciseTokenizer.forElement(this.elemOffset, this.maxElementBytes).push(concat(this.pieces, this.pendingBytes));
    }
    throw new JsonStreamError('the output ended in the middle of the JSON array (truncated)', this.offset);
  }

  /** Parse the elements that started and ended within `chunk` (all with one JSON.parse when possible). */
  private parseComplete(chunk: Uint8Array, out: unknown[]): void {
    const { starts, ends } = this;
    const count = starts.length;
    if (count === 0) return;
    try {
      this.parseRange(chunk, count, out);
    } finally {
      starts.length = 0;
      ends.length = 0;
    }
  }

  private parseRange(chunk: Uint8Array, count: number, out: unknown[]): void {
    const { starts, ends } = this;
    if (count > 1) {
      const text = decoder.decode(chunk.subarray(starts[0], ends[count - 1]));
      let all: unknown;
      if (!text.includes('\uFEFF')) {
        try {
          all = JSON.parse(`[${text}]`);
        } catch {
          all = undefined;
        }
      }
      if (Array.isArray(all) && all.length === count) {
        for (let k = 0; k < count; k++) out.push(all[k]);
        return;
      }
    }
    for (let k = 0; k < count; k++) out.push(this.parseElement(chunk.subarray(starts[k], ends[k]), this.offset + starts[k]!));
  }

  /** One complete element's bytes (starting at stream offset `at`) into its value. */
  private parseElement(bytes: Uint8Array, at: number): unknown {
    const text = decoder.decode(bytes);
    // U+FEFF: the precise tokenizer decodes each string on its own, which drops one at a string's start.
    if (!text.includes('\uFEFF')) {
      try {
        return JSON.parse(text);
      } catch {
        // below: the precise tokenizer's error, or its value where it is more lenient
      }
    }
    return precise(PreciseTokenizer.forElement(at, this.maxElementBytes), bytes);
  }

  private addPending(part: Uint8Array): void {
    this.pendingBytes += part.length;
    if (this.checker) {
      this.checker.push(part);
      return;
    }
    this.pieces.push(Uint8Array.prototype.slice.call(part));
    if (this.pendingBytes > CHECK_PENDING_AFTER) {
      this.checker = PreciseTokenizer.forElement(this.elemOffset, this.maxElementBytes);
      for (const p of this.pieces) this.checker.push(p);
      this.pieces = [];
    }
  }

  /** The element carried over from earlier chunks ends with `last`. */
  private finishPending(last: Uint8Array): unknown {
    const checker = this.checker;
    const pieces = this.pieces;
    const total = this.pendingBytes + last.length;
    this.checker = null;
    this.pieces = [];
    this.pendingBytes = 0;
    if (checker) return precise(checker, last);
    pieces.push(last);
    return this.parseElement(concat(pieces, total), this.elemOffset);
  }
}

function concat(pieces: Uint8Array[], total: number): Uint8Array {
  if (pieces.length === 1) return pieces[0]!;
  const raw = new Uint8Array(total);
  let o = 0;
  for (const p of pieces) {
    raw.set(p, o);
    o += p.length;
  }
  return raw;
}

/**
 * Yield the elements of the JSON array a byte stream carries, one at a time. Throws JsonStreamError
 * on malformed or truncated input (after yielding every element completed before the fault).
 */
export async function* parseJsonArrayStream(source: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>, options: JsonArrayStreamOptions = {}): AsyncGenerator<unknown> {
  const parser = new JsonArrayParser(options);
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    for (const v of parser.push(bytes)) yield v;
  }
  parser.end();
}
