/**
 * The precise token-by-token JSON tokenizer behind JsonArrayParser (jsonArrayStream.ts): it reads a JSON
 * array byte by byte, any chunking, and is used only where exactness matters more than speed: to word the
 * error (message and byte offset) for an element JSON.parse refused, and to read elements that are very
 * large or cut off. Also the shared error type and the small byte helpers of both parsers.
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

const CLOSE = Uint8Array.of(0x5d);
const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
export const decoder = new TextDecoder('utf-8', { fatal: false });

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
export class PreciseTokenizer {
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

/** Feed the rest of one element to a precise tokenizer (primed with forElement) and take its value. */
export function precise(t: PreciseTokenizer, bytes: Uint8Array): unknown {
  const got = t.push(bytes);
  // A `]` ends a number or literal the way the byte after it did (same offset).
  if (got.length === 0) got.push(...t.push(CLOSE));
  if (got.length !== 1) throw new JsonStreamError('internal parser state error', 0);
  return got[0];
}

export function isAtomByte(b: number): boolean {
  // digits, letters (true/false/null, e/E), sign and decimal point
  return (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || b === 0x2b || b === 0x2d || b === 0x2e;
}

export function describe(b: number): string {
  return b >= 0x21 && b < 0x7f ? `"${String.fromCharCode(b)}"` : `byte 0x${b.toString(16).padStart(2, '0')}`;
}

