import type { Readable } from 'node:stream';

/**
 * Lines of a byte stream as they arrive (UTF-8, without the line end; a final line without a newline is
 * yielded too). Memory stays bounded by the longest line, never by the size of the output.
 *
 * Only `\n` ends a line; one `\r` right before it (CRLF) is dropped, any other `\r` stays in the line.
 * readline also ends a line at a lone `\r`, which let remote text forge lines: a tar message naming a
 * folder `x\rMAILOPS … run result ok=yes exit=0` became a success line of its own (issue 11.8).
 * Splitting the bytes on 0x0a before decoding is safe: that byte never occurs inside a UTF-8 sequence.
 */
export async function* readLines(stream: Readable): AsyncGenerator<string> {
  let pending: Buffer[] = [];
  // A consumer that stops early leaves the stream paused, not destroyed (as readline did).
  for await (const chunk of stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer | string>) {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let nl: number;
    while ((nl = buf.indexOf(0x0a)) >= 0) {
      const head = buf.subarray(0, nl);
      const line = pending.length ? Buffer.concat([...pending, head]) : head;
      pending = [];
      yield decodeLine(line);
      buf = buf.subarray(nl + 1);
    }
    if (buf.length) pending.push(buf);
  }
  if (pending.length) yield decodeLine(Buffer.concat(pending));
}

function decodeLine(line: Buffer): string {
  const end = line.length > 0 && line[line.length - 1] === 0x0d ? line.length - 1 : line.length;
  return line.toString('utf8', 0, end);
}
