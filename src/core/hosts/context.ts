/**
 * What an engine (Dovecot, Cyrus, probe) gets to work on a host: its configuration and its transport,
 * plus two small helpers that every engine needs. Keep this file small and stable.
 */
import { CommandFailedError } from '../errors';
import { shellLine } from '../transport/quote';
import type { RemoteProcess, RunOptions, RunResult, SpawnOptions, Transport } from '../transport/types';
import { withPrivilege, type HostConfig } from './model';

export interface HostContext {
  config: HostConfig;
  transport: Transport;
}

export interface PrivilegedOptions {
  /** Run without the host's privilege prefix (default false: sudo / sudo -u as configured). */
  unprivileged?: boolean;
}

/** What an exit code means for one tool, for the error message. */
export interface ExitExplanation {
  meaning: string;
  hint?: string;
}

export interface RunCheckedOptions extends RunOptions, PrivilegedOptions {
  /** Exit codes that count as success (default [0]). */
  accept?: readonly number[];
  /** Shown instead of the real argv in errors (e.g. a script body replaced by "<script>"). */
  displayArgv?: readonly string[];
  /** Short summary for the error (default "command failed"). */
  what?: string;
}

/** The argv as it will run on the host: with the configured sudo prefix unless `unprivileged`. */
export function privilegedArgv(ctx: HostContext, argv: readonly string[], opts: PrivilegedOptions = {}): string[] {
  return opts.unprivileged ? [...argv] : withPrivilege(argv, ctx.config.privilege);
}

/** Start an argv with the host's privilege prefix (streaming). */
export function spawnPrivileged(ctx: HostContext, argv: readonly string[], opts: SpawnOptions & PrivilegedOptions = {}): RemoteProcess {
  return ctx.transport.spawn(privilegedArgv(ctx, argv, opts), opts);
}

/** Run an argv with the host's privilege prefix to completion; the exit code is not checked. */
export function execPrivileged(ctx: HostContext, argv: readonly string[], opts: RunOptions & PrivilegedOptions = {}): Promise<RunResult> {
  return ctx.transport.run(privilegedArgv(ctx, argv, opts), opts);
}

/** Last lines of stderr, for error messages. */
export function stderrTail(stderr: string, lines = 10): string {
  return stderr.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Run an argv (with the privilege prefix) and throw CommandFailedError unless the exit code is accepted.
 * `explain` turns an exit code into words for the operator; without it a generic text is used.
 * TransportError (connection, timeout, cancel) passes through unchanged.
 */
export async function runChecked(
  ctx: HostContext,
  argv: readonly string[],
  opts: RunCheckedOptions = {},
  explain?: (code: number | null, result: RunResult) => ExitExplanation | undefined,
): Promise<RunResult> {
  const full = privilegedArgv(ctx, argv, opts);
  const r = await ctx.transport.run(full, opts);
  const accept = opts.accept ?? [0];
  if (r.code !== null && accept.includes(r.code)) return r;
  const display = opts.displayArgv ? privilegedArgv(ctx, opts.displayArgv, opts) : full;
  const e = explain?.(r.code, r);
  const sudoRefused = ctx.config.privilege.mode !== 'none' && r.code === 1 && /sudo: (a password is required|a terminal is required|.*not allowed|.*not in the sudoers)/.test(r.stderr);
  throw new CommandFailedError(opts.what ?? 'command failed', {
    host: ctx.config.name,
    command: shellLine(display),
    exitCode: r.code,
    signal: r.signal,
    meaning:
      e?.meaning ??
      (sudoRefused
        ? 'sudo refused to run the command without a password'
        : r.code === null
          ? `the command was killed by ${r.signal ?? 'a signal'}`
          : r.code === 127
            ? 'the command was not found on the host'
            : r.code === 126
              ? 'the command is not executable on the host'
              : `the command exited with code ${r.code}`),
    hint:
      e?.hint ??
      (sudoRefused
        ? `allow the SSH user to run it with sudo -n (NOPASSWD in sudoers), or change the host's privilege setting`
        : r.code === 127
          ? 'install the tool on the host or check its path'
          : 'read the stderr lines above; run the command by hand on the host to investigate'),
    stderr: stderrTail(r.stderr),
  });
}
