/**
 * Running the Cyrus tools on a host: where they are (from the probe: /usr/lib/cyrus/bin, /usr/lib/cyrus-imapd,
 * /usr/libexec/cyrus-imapd …), which imapd.conf (`-C`), as which user, and the name style
 * (unixhierarchysep). Every argv is built here.
 *
 * User: the tools must run as `cyrus`. Run as root they switch to it themselves (privilege none as root);
 * with privilege `sudo` Mailops uses `sudo -n -u cyrus`; with `sudo-user` the configured user.
 * Times: the tools print ctime() in the host's local zone; Mailops runs them with TZ=UTC so dates are exact.
 */
import { MailopsError, CommandFailedError } from '../errors';
import type { HostContext } from '../hosts/context';
import { stderrTail } from '../hosts/context';
import { withPrivilege } from '../hosts/model';
import { probe, type CyrusProbe, type UntrustedProcess } from '../probe';
import { shellLine } from '../transport/quote';
import type { RemoteProcess, RunOptions, RunResult, SpawnOptions } from '../transport/types';
import type { NameStyle } from './names';
import { checkAccountName, checkHostPath } from '../names';

export interface CyrusEnv {
  probe: CyrusProbe;
  style: NameStyle;
  /** imapd.conf passed as -C */
  config: string;
  toolsDir: string;
}

const envs = new WeakMap<HostContext, Promise<CyrusEnv>>();

/** Probe once per HostContext: tools dir, config, unixhierarchysep, partitions. */
export function cyrusEnv(ctx: HostContext, signal?: AbortSignal): Promise<CyrusEnv> {
  let p = envs.get(ctx);
  if (!p) {
    p = (async () => {
      const r = await probe(ctx, signal);
      if (!r.cyrus) {
        throw new MailopsError('no Cyrus tools found on the host', {
          host: ctx.config.name,
          meaning: 'none of /usr/lib/cyrus/bin, /usr/lib/cyrus-imapd, /usr/libexec/cyrus-imapd, /usr/cyrus/bin, /usr/local/cyrus/bin holds ctl_mboxlist',
          hint: 'install the Cyrus tools (Debian: cyrus-common) or check that this host runs Cyrus',
        });
      }
      const c = r.cyrus;
      if (c.configFrom !== 'settings' && c.instances.length === 0 && c.untrusted.length > 0) {
        // A process named master claims a config, but it is not the Cyrus master: the default config is not
        // guessed either, since the real Cyrus may run with the config that process names.
        throw new MailopsError(`not taking the Cyrus config from ${c.untrusted.length === 1 ? 'a process that is' : 'processes that are'} not the Cyrus master: ${c.untrusted.map(describeUntrusted).join('; ')}`, {
          host: ctx.config.name,
          meaning: 'the configuration decides what is backed up and where restores write, so Mailops takes it only from a master run by root or the cyrus user from the Cyrus binary',
          hint: 'set cyrus.config of the host to the imapd.conf path (the CLI: --cyrus-config PATH); look at the process(es) named above',
        });
      }
      checkHostPath(c.config, 'Cyrus config', { host: ctx.config.name, from: c.configFrom === 'settings' ? 'the host settings' : c.configFrom === 'process' ? "the Cyrus master's command line" : 'the default' });
      if (c.pathProblems.length) {
        throw new MailopsError(`the Cyrus config ${c.config} names paths Mailops will not use: ${c.pathProblems.join('; ')}`, {
          host: ctx.config.name,
          meaning: 'partition and configdirectory paths decide what is archived and where restores write; they must be absolute, without control characters or ".."',
          hint: 'fix imapd.conf (cyr_info conf-all shows the values Cyrus reads)',
        });
      }
      if (!r.cyrus.configDirectory) {
        throw new MailopsError(`Cyrus config ${r.cyrus.config} could not be read`, {
          host: ctx.config.name,
          meaning: 'cyr_info printed no configdirectory: the imapd.conf path is wrong or not readable',
          hint: 'set cyrus.config of the host to the imapd.conf path (passed to the tools as -C)',
        });
      }
      return { probe: r.cyrus, style: { unixHierarchySep: r.cyrus.unixHierarchySep }, config: r.cyrus.config, toolsDir: r.cyrus.toolsDir };
    })();
    envs.set(ctx, p);
    p.catch(() => envs.delete(ctx));
  }
  return p;
}

/**
 * The account checked by the Cyrus rule (names.ts) before anything runs: first without the host's style, then
 * again with it once the probe has told whether "." separates levels (unixhierarchysep).
 */
export function checkCyrusAccount(ctx: HostContext, account: string, env?: CyrusEnv): string {
  return checkAccountName('cyrus', account, { host: ctx.config.name, style: env?.style });
}

function describeUntrusted(u: UntrustedProcess): string {
  return `PID ${u.pid} (${u.user}, program ${u.program}${u.config ? `, -C ${u.config}` : ''}): ${u.reason}`;
}

/** Prefix an argv so it runs as the Cyrus user (see the file comment). */
export function asCyrusUser(ctx: HostContext, argv: readonly string[]): string[] {
  const priv = ctx.config.privilege;
  if (priv.mode === 'sudo') return withPrivilege(argv, { mode: 'sudo-user', user: 'cyrus' });
  return withPrivilege(argv, priv);
}

/**
 * `env TZ=UTC TOOLS/tool -C CONFIG OPTIONS… [-- OPERANDS…]` as the Cyrus user. Mailbox names go in
 * `operands`, behind `--`: the tools parse with getopt, which permutes, so a name starting with `-` would
 * otherwise be an option (measured: mbexamine, mbpath, reconstruct and unexpunge of Cyrus 3.6 and 3.10
 * honour `--`).
 */
export function toolArgv(ctx: HostContext, env: CyrusEnv, tool: string, options: readonly string[], operands: readonly string[] = []): string[] {
  return asCyrusUser(ctx, ['env', 'TZ=UTC', `${env.toolsDir}/${tool}`, '-C', env.config, ...options, ...(operands.length ? ['--', ...operands] : [])]);
}

/** A constant sh script run as the Cyrus user with data only as positional parameters. */
export function scriptArgv(ctx: HostContext, name: string, script: string, args: readonly string[]): string[] {
  return asCyrusUser(ctx, ['env', 'TZ=UTC', 'sh', '-c', script, name, ...args]);
}

export function displayCommand(argv: readonly string[]): string {
  // scripts are shown by name, not by body
  const i = argv.indexOf('-c');
  if (i > 0 && argv[i - 1] === 'sh') return shellLine([...argv.slice(0, i + 1), '<script>', ...argv.slice(i + 2)]);
  return shellLine(argv);
}

export function spawnTool(ctx: HostContext, argv: readonly string[], opts?: SpawnOptions): RemoteProcess {
  return ctx.transport.spawn(argv, opts);
}

export interface CheckOptions extends RunOptions {
  what: string;
  accept?: number[];
  meaning?: string;
  hint?: string;
}

/** Run an already built argv; throw CommandFailedError naming host, command, exit code, meaning, next step. */
export async function runTool(ctx: HostContext, argv: readonly string[], opts: CheckOptions): Promise<RunResult> {
  const r = await ctx.transport.run(argv, opts);
  if (r.code !== null && (opts.accept ?? [0]).includes(r.code)) return r;
  throw commandError(ctx, argv, r.code, r.signal, r.stderr, opts);
}

export function commandError(
  ctx: HostContext,
  argv: readonly string[],
  code: number | null,
  signal: string | null,
  stderr: string,
  opts: { what: string; meaning?: string; hint?: string },
): CommandFailedError {
  const sudo = /sudo: (a password is required|a terminal is required|.*not allowed|.*not in the sudoers|unknown user)/.test(stderr);
  return new CommandFailedError(opts.what, {
    host: ctx.config.name,
    command: displayCommand(argv),
    exitCode: code,
    signal,
    meaning:
      opts.meaning ??
      (sudo
        ? 'sudo refused to run the Cyrus tool as the cyrus user without a password'
        : code === 127
          ? 'the tool was not found on the host'
          : code === 75
            ? 'temporary failure (EX_TEMPFAIL): a lock is held or a database is busy'
            : `the tool exited with code ${code ?? signal}`),
    hint: opts.hint ?? (sudo ? 'allow the SSH user `sudo -n -u cyrus` (NOPASSWD), or log in as root' : 'read the stderr lines; run the command by hand on the host to investigate'),
    stderr: stderrTail(stderr),
  });
}
