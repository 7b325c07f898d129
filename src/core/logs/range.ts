/**
 * Byte windows of a log file, aligned to line starts. Pure functions: the remote side hands us raw bytes
 * and their offset; these decide where the shown text starts so that a window never opens mid-line.
 *
 * To know whether a window starting at byte S begins a line, we read one byte more, from S-1: when that
 * byte is a newline, S starts a line; otherwise the partial first line is dropped. A window at offset 0
 * always starts a line.
 */

export const NEWLINE = 0x0a;

/** Where to read so that a window ending at `end` and holding at most `maxBytes` can be line-aligned. */
export function windowRequest(end: number, maxBytes: number): { offset: number; length: number; probe: boolean } {
  if (!Number.isSafeInteger(end) || end < 0) throw new RangeError(`end must be a byte offset, got ${end}`);
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new RangeError(`maxBytes must be at least 1, got ${maxBytes}`);
  const start = Math.max(0, end - maxBytes);
  // One extra byte before the window (when there is one) tells whether `start` begins a line.
  const offset = start === 0 ? 0 : start - 1;
  return { offset, length: end - offset, probe: start > 0 };
}

export interface AlignedWindow {
  /** File offset of the first byte of `bytes`: always the start of a line (or 0), unless `partialFirstLine`. */
  start: number;
  /** File offset just past the last byte of `bytes`. */
  end: number;
  bytes: Buffer;
  /**
   * True when no line start was found in the window (one line longer than the window): the bytes are shown
   * from the middle of that line rather than showing nothing.
   */
  partialFirstLine: boolean;
}

/**
 * Align bytes read at `offset` (as asked by windowRequest) to the first line start after the probe byte.
 * `probe` says whether bytes[0] is that extra byte (false only for a window that begins the file).
 */
export function alignToLineStart(bytes: Buffer, offset: number, probe = offset > 0): AlignedWindow {
  const end = offset + bytes.length;
  if (!probe) return { start: offset, end, bytes, partialFirstLine: false };
  const nl = bytes.indexOf(NEWLINE);
  if (nl < 0) {
    // No line start inside the window: keep the bytes after the probe byte.
    const kept = bytes.subarray(Math.min(1, bytes.length));
    return { start: end - kept.length, end, bytes: kept, partialFirstLine: kept.length > 0 };
  }
  return { start: offset + nl + 1, end, bytes: bytes.subarray(nl + 1), partialFirstLine: false };
}

/** Number of newline bytes in a buffer (lines a prepended chunk adds above the cursor). */
export function countNewlines(bytes: Buffer): number {
  let n = 0;
  let i = -1;
  while ((i = bytes.indexOf(NEWLINE, i + 1)) >= 0) n++;
  return n;
}

/**
 * Cut a buffer at its last newline: the complete lines, and the unfinished last line (kept apart while
 * following, so that a line being written is shown once it is complete or at the next render).
 */
export function splitAtLastNewline(bytes: Buffer): { complete: Buffer; rest: Buffer } {
  const nl = bytes.lastIndexOf(NEWLINE);
  if (nl < 0) return { complete: bytes.subarray(0, 0), rest: bytes };
  return { complete: bytes.subarray(0, nl + 1), rest: bytes.subarray(nl + 1) };
}

/** "2.0 MiB" style sizes for the window header and messages. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}
