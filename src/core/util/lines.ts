import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';

/**
 * Lines of a byte stream as they arrive (UTF-8, without the newline; a final line without a newline is
 * yielded too). Memory stays bounded by the longest line, never by the size of the output.
 */
export async function* readLines(stream: Readable): AsyncGenerator<string> {
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of rl) yield line;
  } finally {
    rl.close();
  }
}
