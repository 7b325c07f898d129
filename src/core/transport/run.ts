/**
 * Shared by the transports: collect a RemoteProcess into a RunResult.
 */
import type { Readable } from 'node:stream';
import type { MailopsError } from '../errors';
import type { RemoteProcess, RunResult } from './types';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFn = (level: LogLevel, msg: string) => void;

export const DEFAULT_MAX_BUFFER = 64 * 1024 * 1024;

/**
 * run()'s timeout when the caller gives none (`timeoutMs: 0` means none): a doveadm or Cyrus tool blocked
 * on a lock must not hang a run forever (issue 11.13), and 30 minutes is beyond any single collected call
 * measured (streaming work, backups and log tails, goes through spawn(), which has no default).
 */
export const DEFAULT_RUN_TIMEOUT_MS = 30 * 60 * 1000;

function collect(stream: Readable, limit: number, onOverflow: () => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    stream.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > limit) {
        over = true;
        onOverflow();
        return;
      }
      chunks.push(c);
    });
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('close', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

/**
 * Wait for the exit status and both streams, decode as UTF-8. When stdout or stderr passes maxBuffer the
 * process is cancelled and the promise rejects with the error from `overflowError`.
 */
export async function collectRun(proc: RemoteProcess, maxBuffer: number | undefined, overflowError: () => MailopsError): Promise<RunResult> {
  const limit = maxBuffer ?? DEFAULT_MAX_BUFFER;
  let overflow: MailopsError | undefined;
  const onOverflow = () => {
    if (overflow) return;
    overflow = overflowError();
    proc.cancel('output larger than maxBuffer');
  };
  const [status, out, err] = await Promise.all([
    proc.exit.catch((e: unknown) => {
      throw overflow ?? e;
    }),
    collect(proc.stdout, limit, onOverflow),
    collect(proc.stderr, limit, onOverflow),
  ]);
  if (overflow) throw overflow;
  return { ...status, stdout: out.toString('utf8'), stderr: err.toString('utf8') };
}
