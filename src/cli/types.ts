/**
 * The command-line face. Each command lives in src/cli/commands/<name>.ts and is listed in
 * src/cli/commands/index.ts. A command gets its parsed options and a CliContext that resolves the host
 * (from --host, --ssh or --local), prints human text or JSON, and asks questions on the TTY.
 */
import type { HostContext } from '../core/hosts/context';
import type { HostConfig } from '../core/hosts/model';

export type OptionSpec = { type: 'string' | 'boolean'; multiple?: boolean; short?: string; description: string; valueName?: string };

export interface CliCommand {
  /** e.g. "probe", or "schedule" with subcommands handled by the command itself. */
  name: string;
  summary: string;
  /** Usage line after `mailops NAME`, e.g. "ACCOUNT MAILBOX [--source SET]". */
  usage: string;
  /** Longer help: what it does, its exit codes beyond 0/1/2. */
  help?: string;
  options?: Record<string, OptionSpec>;
  /** Whether the command talks to a mail host (then --host/--ssh/--local apply). */
  needsHost: boolean;
  /** Return the exit code (default 0). Throw UsageError for bad input (exit 2), MailopsError for failures (exit 1). */
  run(ctx: CliContext, args: CommandArgs): Promise<number | void>;
}

export interface CommandArgs {
  positionals: string[];
  values: Record<string, string | boolean | string[] | undefined>;
}

export interface CliContext {
  readonly json: boolean;
  /** Resolve and connect the selected host (throws UsageError when none was selected). */
  host(): Promise<HostContext>;
  /** The hosts of the hosts file (--config, $MAILOPS_CONFIG or the default path) and that path. */
  hostsFile(): Promise<{ path: string; hosts: HostConfig[] }>;
  /** A context for any host (one transport per host name, closed when the command ends). */
  connect(config: HostConfig): HostContext;
  /** Print a result: JSON (pretty, one document) with --json, else the human rendering. */
  result<T>(value: T, human: (value: T) => string): void;
  /**
   * Stream a long list: with --json a valid JSON array written element by element (memory stays flat),
   * else one human line per item. Await item(): it waits while stdout is full (back-pressure).
   */
  list<T>(): { item(value: T, human: (value: T) => string): Promise<void>; end(humanFooter?: string): void };
  /** Progress and warnings go to stderr, never mixed into the result on stdout. */
  info(message: string): void;
  warn(message: string): void;
  /** Ask yes/no on the TTY; without a TTY, only --yes answers yes. */
  confirm(question: string): Promise<boolean>;
  /** Ask for a secret on the TTY (not echoed); undefined when there is no TTY. */
  askSecret(prompt: string): Promise<string | undefined>;
  /** Cancelled on SIGINT/SIGTERM: pass to long operations so the remote process stops. */
  readonly signal: AbortSignal;
  readonly stdout: NodeJS.WritableStream;
}
