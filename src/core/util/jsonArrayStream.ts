/**
 * An incremental parser for one JSON array arriving as a byte stream (doveadm `-f json` output):
 * it yields the array's elements one at a time as soon as each is complete, so a 100,000-message
 * listing never sits whole in memory. Memory stays bounded by the largest single element.
 *
 * The scanner works on bytes, so chunks may split anywhere: inside a multi-byte UTF-8 character,
 * inside an escape sequence (`\u00e9` split after `\u0`), inside a number or a literal. It only looks for
 * where each top-level element ends; complete elements are decoded (invalid UTF-8 becomes U+FFFD, as
 * doveadm prints header bytes as they are) and parsed by JSON.parse, the precise tokenizer below being
 * the fallback that words the errors (measured: 40 MB of doveadm-shaped output in 0.12-0.15 s instead of
 * 1.05-1.1 s, about the time of one JSON.parse of the whole text).
 */

export class JsonStreamError extends Error {
  constructor(
    message: string,
    /** Byte offset in the whole stream where the problem was found. */
    readonly offset: number,
  ) {
    super(`${message} (at byte ${offset})`);
    this.name = 'JsonStreamError';
  }
}

export interface JsonArrayStreamOptions {
  /** Refuse a single element larger than this many bytes (default 256 MiB). */
  maxElementBytes?: number;
}

type Container = { kind: 'array'; value: unknown[] } | { kind: 'object'; value: Record<string, unknown>; key: string | undefined };

const enum State {
  /** Before the opening `[` of the top-level array. */
  Start,
  /** Expecting a value (after `[` of any array, after `:` or after `,` in an array). */
  Value,
  /** Expecting a value or `]` (right after `[`). */
  ValueOrEnd,
  /** Expecting a key string or `}` (right after `{`). */
  KeyOrEnd,
  /** Expecting a key string (after `,` in an object). */
  Key,
  /** Expecting `:` after a key. */
  Colon,
  /** After a value: `,` or the closing bracket of the current container. */
  AfterValue,
  /** Inside a string. */
  InString,
  /** Inside a number or a literal (true/false/null). */
  InAtom,
  /** After the top-level `]`: only whitespace may follow. */
  Done,
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const decoder = new TextDecoder('utf-8', { fatal: false });

/** Turn the raw bytes between a string's quotes into the string (escapes resolved). */
export function decodeJsonStringBytes(raw: Uint8Array): string {
  const text = decoder.decode(raw);
  if (!text.includes('\\')) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = text[++i];
    switch (e) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '/':
        out += '/';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        const hex = text.slice(i + 1, i + 5);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new Error(`bad \\u escape "\\u${hex}"`);
        out += String.fromCharCode(parseInt(hex, 16));
        i += 4;
        break;
      }
      default:
        throw new Error(`bad escape "\\${e ?? ''}"`);
    }
  }
  // Lone surrogates from \uD800-style escapes stay as they are (String.fromCharCode keeps pairs intact).
  return out;
}

/**
 * The precise token-by-token tokenizer (the parser before the fast path). JsonArrayParser uses it only to
 * judge an element JSON.parse refused, or that is very large or cut off: it gives the exact error
 * message and offset, and its value where JSON.parse is stricter (raw control characters in strings) or
 * decodes differently (a string starting with U+FEFF loses it here, as it always did).
 */
class PreciseTokenizer {
  private state: State = State.Start;
  private readonly stack: Container[] = [];
  /** Raw bytes of the string or atom being read (chunks, joined when it ends). */
  private pieces: Uint8Array[] = [];
  private pieceBytes = 0;
  private escaped = false;
  /** Whether the string being read is an object key. */
  private stringIsKey = false;
  private offset = 0;
  private elementBytes = 0;
  private readonly maxElementBytes: number;

  constructor(options: JsonArrayStreamOptions = {}) {
    this.maxElementBytes = options.maxElementBytes ?? 256 * 1024 * 1024;
  }

  /** Start inside the top-level array, expecting an element that begins at stream offset `offset`. */
  static forElement(offset: number, maxElementBytes: number): PreciseTokenizer {
    const t = new PreciseTokenizer({ maxElementBytes });
    t.stack.push({ kind: 'array', value: [] });
    t.state = State.Value;
    t.offset = offset;
    return t;
  }

  /** True once the closing `]` of the top-level array was read. */
  get done(): boolean {
    return this.state === State.Done;
  }

  /** Parse one chunk; returns the top-level elements it completed. */
  push(chunk: Uint8Array): unknown[] {
    const out: unknown[] = [];
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      const b = chunk[i]!;
      switch (this.state) {
        case State.InString: {
          // Fast scan to the closing quote, minding backslashes.
          let j = i;
          let escaped = this.escaped;
          for (; j < n; j++) {
            const c = chunk[j]!;
            if (escaped) escaped = false;
            else if (c === 0x5c) escaped = true;
            else if (c === 0x22) break;
          }
          this.escaped = escaped;
          if (j > i) this.addPiece(chunk.subarray(i, j));
          if (j === n) {
            i = n;
            continue;
          }
          const raw = this.takePieces();
          let s: string;
          try {
            s = decodeJsonStringBytes(raw);
          } catch (e) {
            throw new JsonStreamError((e as Error).message, this.offset + j);
          }
          i = j + 1;
          if (this.stringIsKey) {
            const top = this.stack[this.stack.length - 1] as Extract<Container, { kind: 'object' }>;
            top.key = s;
            this.state = State.Colon;
          } else this.completeValue(s, out);
          continue;
        }
        case State.InAtom: {
          let j = i;
          while (j < n && isAtomByte(chunk[j]!)) j++;
          if (j > i) this.addPiece(chunk.subarray(i, j));
          if (j === n) {
            i = n;
            continue;
          }
          this.completeValue(this.parseAtom(this.offset + j), out);
          i = j;
          continue;
        }
        default:
          break;
      }
      if (WS.has(b)) {
        i++;
        continue;
      }
      const at = this.offset + i;
      switch (this.state) {
        case State.Start:
          if (b !== 0x5b) throw new JsonStreamError(`expected "[" to start the array, found ${describe(b)}`, at);
          this.stack.push({ kind: 'array', value: [] });
          this.state = State.ValueOrEnd;
          break;
        case State.ValueOrEnd:
          if (b === 0x5d) {
            this.closeContainer(out);
            break;
          }
          this.startValue(b, at);
          break;
        case State.Value:
          this.startValue(b, at);
          break;
        case State.KeyOrEnd:
        case State.Key:
          if (b === 0x7d && this.state === State.KeyOrEnd) {
            this.closeContainer(out);
            break;
          }
          if (b !== 0x22) throw new JsonStreamError(`expected a key string, found ${describe(b)}`, at);
          this.stringIsKey = true;
          this.escaped = false;
          this.state = State.InString;
          break;
        case State.Colon:
          if (b !== 0x3a) throw new JsonStreamError(`expected ":", found ${describe(b)}`, at);
          this.state = State.Value;
          break;
        case State.AfterValue: {
          const top = this.stack[this.stack.length - 1]!;
          if (b === 0x2c) this.state = top.kind === 'array' ? State.Value : State.Key;
          else if ((b === 0x5d && top.kind === 'array') || (b === 0x7d && top.kind === 'object')) this.closeContainer(out);
          else throw new JsonStreamError(`expected "," or the end of the ${top.kind}, found ${describe(b)}`, at);
          break;
        }
        case State.Done:
          throw new JsonStreamError(`unexpected ${describe(b)} after the end of the array`, at);
        default:
          throw new JsonStreamError('internal parser state error', at);
      }
      i++;
    }
    this.offset += n;
    if (this.stack.length > 1 || this.state === State.InString || this.state === State.InAtom) {
      // Rough: counts the whole chunk while an element is open.
      this.elementBytes += n;
      if (this.elementBytes > this.maxElementBytes) throw new JsonStreamError(`an element is larger than ${this.maxElementBytes} bytes`, this.offset);
    }
    return out;
  }

  /** Call at the end of the stream: throws when the array was not complete. */
  end(): void {
    if (this.state === State.Done) return;
    if (this.state === State.Start) throw new JsonStreamError('the output is empty: no JSON array', this.offset);
    throw new JsonStreamError('the output ended in the middle of the JSON array (truncated)', this.offset);
  }

  private addPiece(p: Uint8Array): void {
    // Copy: the chunk's buffer may be reused by the stream after we return.
    this.pieces.push(Uint8Array.prototype.slice.call(p));
    this.pieceBytes += p.length;
    if (this.pieceBytes > this.maxElementBytes) throw new JsonStreamError(`a value is larger than ${this.maxElementBytes} bytes`, this.offset);
  }

  private takePieces(): Uint8Array {
    const pieces = this.pieces;
    this.pieces = [];
    const total = this.pieceBytes;
    this.pieceBytes = 0;
    if (pieces.length === 1) return pieces[0]!;
    const raw = new Uint8Array(total);
    let o = 0;
    for (const p of pieces) {
      raw.set(p, o);
      o += p.length;
    }
    return raw;
  }

  private parseAtom(at: number): unknown {
    const text = decoder.decode(this.takePieces());
    if (text === 'true') return true;
    if (text === 'false') return false;
    if (text === 'null') return null;
    if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(text)) return Number(text);
    throw new JsonStreamError(`invalid literal "${text.slice(0, 40)}"`, at);
  }

  private startValue(b: number, at: number): void {
    if (b === 0x22) {
      this.stringIsKey = false;
      this.escaped = false;
      this.state = State.InString;
    } else if (b === 0x7b) {
      this.stack.push({ kind: 'object', value: {}, key: undefined });
      this.state = State.KeyOrEnd;
    } else if (b === 0x5b) {
      this.stack.push({ kind: 'array', value: [] });
      this.state = State.ValueOrEnd;
    } else if (b === 0x2d || (b >= 0x30 && b <= 0x39) || b === 0x74 || b === 0x66 || b === 0x6e) {
      this.state = State.InAtom;
      this.addPiece(Uint8Array.of(b));
    } else throw new JsonStreamError(`expected a value, found ${describe(b)}`, at);
  }

  /** A value (string, atom or closed container) is complete: attach it to its parent. */
  private completeValue(v: unknown, out: unknown[]): void {
    const top = this.stack[this.stack.length - 1]!;
    if (top.kind === 'array') {
      if (this.stack.length === 1) {
        out.push(v);
        this.elementBytes = 0;
      } else top.value.push(v);
    } else {
      Object.defineProperty(top.value, top.key!, { value: v, enumerable: true, writable: true, configurable: true });
      top.key = undefined;
    }
    this.state = State.AfterValue;
  }

  private closeContainer(out: unknown[]): void {
    const c = this.stack.pop()!;
    if (this.stack.length === 0) {
      this.state = State.Done;
      return;
    }
    this.completeValue(c.value, out);
  }
}

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
const CLOSE = Uint8Array.of(0x5d);

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

/** Feed the rest of one element to a precise tokenizer (primed with forElement) and take its value. */
function precise(t: PreciseTokenizer, bytes: Uint8Array): unknown {
  const got = t.push(bytes);
  // A `]` ends a number or literal the way the byte after it did (same offset).
  if (got.length === 0) got.push(...t.push(CLOSE));
  if (got.length !== 1) throw new JsonStreamError('internal parser state error', 0);
  return got[0];
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

function isAtomByte(b: number): boolean {
  // digits, letters (true/false/null, e/E), sign and decimal point
  return (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || b === 0x2b || b === 0x2d || b === 0x2e;
}

function describe(b: number): string {
  return b >= 0x21 && b < 0x7f ? `"${String.fromCharCode(b)}"` : `byte 0x${b.toString(16).padStart(2, '0')}`;
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
