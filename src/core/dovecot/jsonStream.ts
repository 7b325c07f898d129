/**
 * Running doveadm on a host: collected (`runDoveadm`) or streaming `-f json` output object by object
 * (`streamDoveadmJson`), with errors that name the host, the command, the exit code and its meaning.
 */
import { CommandFailedError, TransportError } from '../errors';
import type { HostContext } from '../hosts/context';
import { shellLine } from '../transport/quote';
import type { RunResult } from '../transport/types';
import { JsonStreamError, parseJsonArrayStream } from '../util/jsonArrayStream';
import { doveadmArgv, explainDoveadmExit } from './doveadm';

export interface DoveadmCallOptions {
  /** doveadm -o key=value overrides (e.g. the storage settings that point an account at a backup set). */
  overrides?: Record<string, string>;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Exit codes that are not failures (default [0]). */
  accept?: readonly number[];
  /** Summary for the error, e.g. "listing mailboxes failed". */
  what?: string;
  /** Replace the meaning/hint of an exit code. */
  explain?: (code: number | null, stderr: string) => { meaning: string; hint: string } | undefined;
}

const STDERR_KEEP = 64 * 1024;

export function doveadmFailure(ctx: HostContext, argv: readonly string[], code: number | null, signal: string | null, stderr: string, opts: DoveadmCallOptions): CommandFailedError {
  const base = explainDoveadmExit(code);
  const custom = opts.explain?.(code, stderr);
  return new CommandFailedError(opts.what ?? 'doveadm failed', {
    host: ctx.config.name,
    command: shellLine(argv),
    exitCode: code,
    signal,
    meaning: custom?.meaning ?? base.meaning,
    hint: custom?.hint ?? base.hint,
    stderr: stderr.trimEnd().split('\n').slice(-10).join('\n'),
  });
}

/** Run doveadm to completion (small outputs). Throws CommandFailedError on an exit code not accepted. */
export async function runDoveadm(ctx: HostContext, args: readonly string[], opts: DoveadmCallOptions = {}): Promise<RunResult> {
  const argv = doveadmArgv(ctx.config, args, opts.overrides);
  const r = await ctx.transport.run(argv, { signal: opts.signal, timeoutMs: opts.timeoutMs });
  const accept = opts.accept ?? [0];
  if (r.code !== null && accept.includes(r.code)) return r;
  throw doveadmFailure(ctx, argv, r.code, r.signal, r.stderr, opts);
}

/**
 * Run `doveadm -f json ARGS…` and yield the objects of its output one at a time, as they arrive.
 * Stopping early (break) cancels the remote process. After the last object the exit code is checked.
 */
export async function* streamDoveadmJson(ctx: HostContext, args: readonly string[], opts: DoveadmCallOptions = {}): AsyncGenerator<Record<string, unknown>> {
  const argv = doveadmArgv(ctx.config, ['-f', 'json', ...args], opts.overrides);
  const proc = ctx.transport.spawn(argv, { signal: opts.signal, timeoutMs: opts.timeoutMs });
  let stderr = '';
  proc.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
    if (stderr.length > STDERR_KEEP) stderr = stderr.slice(-STDERR_KEEP);
  });
  let finished = false;
  // Keep a rejection of exit from being reported as unhandled while we are still reading.
  const exit = proc.exit.then(
    (s) => ({ ok: true as const, s }),
    (e: unknown) => ({ ok: false as const, e }),
  );
  try {
    let parseError: JsonStreamError | undefined;
    try {
      for await (const v of parseJsonArrayStream(proc.stdout as AsyncIterable<Uint8Array>)) {
        if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new JsonStreamError('expected an object as array element', 0);
        yield v as Record<string, unknown>;
      }
    } catch (e) {
      if (!(e instanceof JsonStreamError)) throw e;
      parseError = e;
    }
    const x = await exit;
    finished = true;
    if (!x.ok) throw x.e;
    const { code, signal } = x.s;
    const accept = opts.accept ?? [0];
    if (code === null || !accept.includes(code)) throw doveadmFailure(ctx, argv, code, signal, stderr, opts);
    if (parseError) {
      throw new CommandFailedError(opts.what ?? 'doveadm printed output Mailops cannot read', {
        host: ctx.config.name,
        command: shellLine(argv),
        exitCode: code,
        meaning: `the JSON output is malformed: ${parseError.message}`,
        hint: 'run the command by hand on the host and report the output (this Dovecot version may print differently)',
        stderr,
      });
    }
  } finally {
    if (!finished) {
      proc.cancel('stopped reading');
      await exit;
    }
  }
}

/** True when an error is a TransportError (connection-level), which callers never reinterpret. */
export function isTransportError(e: unknown): e is TransportError {
  return e instanceof TransportError;
}
