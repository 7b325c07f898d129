/**
 * Errors that tell an operator what happened and what to do next: which host, which command,
 * its exit code, what that code means, and a next step. Every failure that reaches a person goes
 * through one of these, in the CLI and in the editor alike.
 */

export interface ErrorDetails {
  /** Host name as configured (or user@host:port for ad hoc targets). */
  host?: string;
  /** The command as the operator would type it (argv joined for display, never re-executed). */
  command?: string;
  exitCode?: number | null;
  signal?: string | null;
  /** What the exit code or condition means, in plain words. */
  meaning?: string;
  /** What to do next. */
  hint?: string;
  /** Last lines of stderr, when they help. */
  stderr?: string;
  cause?: unknown;
}

export class MailopsError extends Error {
  readonly host?: string;
  readonly command?: string;
  readonly exitCode?: number | null;
  readonly signal?: string | null;
  readonly meaning?: string;
  readonly hint?: string;
  readonly stderr?: string;

  constructor(summary: string, details: ErrorDetails = {}) {
    super(formatMessage(summary, details), details.cause !== undefined ? { cause: details.cause } : undefined);
    this.name = 'MailopsError';
    this.host = details.host;
    this.command = details.command;
    this.exitCode = details.exitCode;
    this.signal = details.signal;
    this.meaning = details.meaning;
    this.hint = details.hint;
    this.stderr = details.stderr;
  }

  /** A plain object for `--json` output and for the webview. */
  toJSON(): Record<string, unknown> {
    return {
      error: this.name,
      message: this.message,
      host: this.host,
      command: this.command,
      exitCode: this.exitCode,
      signal: this.signal,
      meaning: this.meaning,
      hint: this.hint,
    };
  }
}

function formatMessage(summary: string, d: ErrorDetails): string {
  const parts: string[] = [];
  parts.push(d.host ? `${d.host}: ${summary}` : summary);
  if (d.command) {
    let c = `command: ${d.command}`;
    if (d.exitCode !== undefined && d.exitCode !== null) c += ` (exit code ${d.exitCode})`;
    else if (d.signal) c += ` (killed by ${d.signal})`;
    parts.push(c);
  }
  if (d.meaning) parts.push(`meaning: ${d.meaning}`);
  if (d.stderr) parts.push(`stderr: ${d.stderr.trim().split('\n').slice(-5).join('\n        ')}`);
  if (d.hint) parts.push(`next: ${d.hint}`);
  return parts.join('\n  ');
}

/** A remote or local command ended with a failing exit code or a signal. */
export class CommandFailedError extends MailopsError {
  constructor(summary: string, details: ErrorDetails) {
    super(summary, details);
    this.name = 'CommandFailedError';
  }
}

export type TransportFailure =
  | 'host-key-unknown'
  | 'host-key-changed'
  | 'auth-failed'
  | 'connect-failed'
  | 'connection-lost'
  | 'timeout'
  | 'cancelled'
  | 'config';

/** The connection itself failed: nothing ran, or what ran was cut off. */
export class TransportError extends MailopsError {
  constructor(readonly failure: TransportFailure, summary: string, details: ErrorDetails = {}) {
    super(summary, details);
    this.name = 'TransportError';
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), failure: this.failure };
  }
}

/** Wrong input from the operator (bad flags, unknown host, malformed config). CLI exit code 2. */
export class UsageError extends MailopsError {
  constructor(summary: string, details: ErrorDetails = {}) {
    super(summary, details);
    this.name = 'UsageError';
  }
}
