/**
 * `mailops`: the command-line face of the engine, for cron and scripts.
 * Human text by default, JSON with --json. Exit codes: 0 ok, 1 the operation failed, 2 usage.
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { MailopsError, UsageError } from '../core/errors';
import type { HostConfig, ServerKind } from '../core/hosts/model';
import { loadHostsFile, adHocSshHost } from '../core/hosts/load';
import { createTransport } from '../core/transport/index';
import type { HostContext } from '../core/hosts/context';
import type { Transport } from '../core/transport/types';
import { TtyPrompter, ttyQuestion } from './prompter';
import type { CliCommand, CliContext, CommandArgs, OptionSpec } from './types';
import { commands } from './commands/index';
import { configDir } from './config';

const VERSION = '0.1.0';

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'print the result as JSON on stdout' },
  host: { type: 'string', valueName: 'NAME', description: 'a host from the hosts file (default: $MAILOPS_HOST)' },
  config: { type: 'string', valueName: 'FILE', description: 'hosts file (default: ~/.config/mailops/hosts.json)' },
  ssh: { type: 'string', valueName: 'USER@HOST[:PORT]', description: 'an ad hoc SSH target instead of --host' },
  identity: { type: 'string', multiple: true, valueName: 'FILE', description: 'private key for --ssh (repeatable)' },
  'known-hosts': { type: 'string', multiple: true, valueName: 'FILE', description: 'known_hosts file for --ssh (repeatable; default ~/.ssh/known_hosts)' },
  'accept-new-host-key': { type: 'boolean', description: 'trust an unknown host key without asking (never a changed one)' },
  local: { type: 'boolean', description: 'run on this machine instead of over SSH' },
  server: { type: 'string', valueName: 'dovecot|cyrus|detect', description: 'server kind for --ssh/--local (default detect)' },
  'dovecot-config': { type: 'string', valueName: 'PATH', description: 'Dovecot config for --ssh/--local (doveadm -c)' },
  'cyrus-config': { type: 'string', valueName: 'PATH', description: 'Cyrus imapd.conf for --ssh/--local (-C)' },
  sudo: { type: 'boolean', description: 'run mail tools with sudo -n' },
  'sudo-user': { type: 'string', valueName: 'USER', description: 'run mail tools with sudo -n -u USER' },
  yes: { type: 'boolean', short: 'y', description: 'answer yes to confirmations (for scripts)' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
  version: { type: 'boolean', description: 'print the version' },
};

function optionsForParse(specs: Record<string, OptionSpec>) {
  const out: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const [k, v] of Object.entries(specs)) out[k] = { type: v.type, ...(v.multiple ? { multiple: true } : {}), ...(v.short ? { short: v.short } : {}) };
  return out;
}

function renderOptions(specs: Record<string, OptionSpec>): string {
  return Object.entries(specs)
    .map(([k, v]) => {
      const flag = `${v.short ? `-${v.short}, ` : ''}--${k}${v.type === 'string' ? ` ${v.valueName ?? 'VALUE'}` : ''}`;
      return `  ${flag.padEnd(34)} ${v.description}`;
    })
    .join('\n');
}

export function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `mailops ${VERSION}: back up, verify and restore Dovecot and Cyrus mail`,
    '',
    'usage: mailops [options] COMMAND [arguments]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'options:',
    renderOptions(GLOBAL_OPTIONS),
    '',
    'exit codes: 0 ok, 1 the operation failed, 2 usage error.',
    "'mailops COMMAND --help' shows a command's own options.",
  ].join('\n');
}

function commandUsage(c: CliCommand): string {
  return [
    `usage: mailops ${c.name} ${c.usage}`.trimEnd(),
    '',
    c.summary,
    ...(c.help ? ['', c.help] : []),
    ...(c.options && Object.keys(c.options).length ? ['', 'options:', renderOptions(c.options)] : []),
    '',
    'global options:',
    renderOptions(GLOBAL_OPTIONS),
  ].join('\n');
}

/** Find the command word: the first argument that is not a global option or its value. */
function splitCommand(argv: string[]): { name?: string; rest: string[] } {
  const withValue = new Set(Object.entries(GLOBAL_OPTIONS).filter(([, v]) => v.type === 'string').map(([k]) => `--${k}`));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return { name: argv[i + 1], rest: [...argv.slice(0, i), ...argv.slice(i + 2)] };
    if (a.startsWith('-')) {
      if (withValue.has(a)) i++;
      continue;
    }
    return { name: a, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { rest: argv };
}

function hostFromFlags(values: CommandArgs['values']): HostConfig | undefined {
  const server = (values.server as string | undefined) ?? 'detect';
  if (!['dovecot', 'cyrus', 'detect'].includes(server)) throw new UsageError(`--server must be dovecot, cyrus or detect, not "${server}"`);
  const privilege = values['sudo-user']
    ? { mode: 'sudo-user' as const, user: values['sudo-user'] as string }
    : values.sudo
      ? { mode: 'sudo' as const }
      : { mode: 'none' as const };
  const extras = {
    server: server as ServerKind,
    privilege,
    ...(values['dovecot-config'] ? { dovecot: { config: values['dovecot-config'] as string } } : {}),
    ...(values['cyrus-config'] ? { cyrus: { config: values['cyrus-config'] as string } } : {}),
  };
  if (values.ssh && values.local) throw new UsageError('--ssh and --local exclude each other');
  if (values.ssh) {
    const h = adHocSshHost({
      target: values.ssh as string,
      identity: values.identity as string[] | undefined,
      knownHosts: values['known-hosts'] as string[] | undefined,
    });
    return { ...h, ...extras };
  }
  if (values.local) return { name: 'local', transport: 'local', ...extras };
  return undefined;
}

function hostsPath(values: CommandArgs['values']): string {
  return (values.config as string | undefined) ?? process.env.MAILOPS_CONFIG ?? join(configDir(), 'hosts.json');
}

async function resolveHost(values: CommandArgs['values']): Promise<HostConfig> {
  const adHoc = hostFromFlags(values);
  const name = (values.host as string | undefined) ?? (adHoc ? undefined : process.env.MAILOPS_HOST);
  if (adHoc && values.host) throw new UsageError('--host and --ssh/--local exclude each other');
  if (adHoc) return adHoc;
  const path = hostsPath(values);
  if (!name) {
    throw new UsageError('no host selected', {
      hint: `pass --host NAME (a host of ${path}), --ssh USER@HOST[:PORT], or --local`,
    });
  }
  const hosts = await loadHostsFile(path);
  const found = hosts.find((h) => h.name === name);
  if (!found) {
    throw new UsageError(`no host named "${name}" in ${path}`, {
      hint: hosts.length ? `known hosts: ${hosts.map((h) => h.name).join(', ')}` : 'the file lists no hosts; add one, or use --ssh USER@HOST',
    });
  }
  return found;
}

export async function main(argv: string[]): Promise<number> {
  const { name, rest } = splitCommand(argv);
  if (!name) {
    const { values } = parseArgs({ args: rest, options: optionsForParse(GLOBAL_OPTIONS), strict: false });
    if (values.version) {
      process.stdout.write(`${VERSION}\n`);
      return 0;
    }
    process.stdout.write(`${usage()}\n`);
    return values.help ? 0 : 2;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`mailops: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  let parsed: CommandArgs;
  try {
    const r = parseArgs({ args: rest, options: optionsForParse({ ...GLOBAL_OPTIONS, ...(command.options ?? {}) }), allowPositionals: true, strict: true });
    parsed = { positionals: r.positionals, values: r.values as CommandArgs['values'] };
  } catch (e) {
    process.stderr.write(`mailops ${name}: ${(e as Error).message}\n\n${commandUsage(command)}\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(`${commandUsage(command)}\n`);
    return 0;
  }
  const json = parsed.values.json === true;
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (abort.signal.aborted) process.exit(130);
    process.stderr.write(`mailops: ${sig}: stopping the remote command (press again to quit at once)\n`);
    abort.abort(new Error(`interrupted by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let transport: Transport | undefined;
  const others = new Map<string, Transport>();
  const transportFor = (config: HostConfig): Transport =>
    createTransport(config, {
      prompter: new TtyPrompter(parsed.values['accept-new-host-key'] === true),
      trustStorePath: join(configDir(), 'known_hosts'),
      log: (level, msg) => {
        if (level === 'warn' || level === 'error' || process.env.MAILOPS_DEBUG) process.stderr.write(`mailops: ${level}: ${msg}\n`);
      },
    });
  const ctx: CliContext = {
    json,
    signal: abort.signal,
    stdout: process.stdout,
    async host(): Promise<HostContext> {
      const config = await resolveHost(parsed.values);
      transport ??= transportFor(config);
      return { config, transport };
    },
    async hostsFile() {
      const path = hostsPath(parsed.values);
      return { path, hosts: await loadHostsFile(path) };
    },
    connect(config) {
      let t = others.get(config.name);
      if (!t) {
        t = transportFor(config);
        others.set(config.name, t);
      }
      return { config, transport: t };
    },
    result(value, human) {
      process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human(value)}\n`);
    },
    list() {
      let n = 0;
      return {
        async item(value, human) {
          const ok = json ? process.stdout.write(`${n === 0 ? '[\n' : ',\n'}${JSON.stringify(value)}`) : process.stdout.write(`${human(value)}\n`);
          n++;
          if (!ok) await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
        },
        end(footer) {
          if (json) process.stdout.write(n === 0 ? '[]\n' : '\n]\n');
          else if (footer) process.stdout.write(`${footer}\n`);
        },
      };
    },
    info(message) {
      if (!json || process.env.MAILOPS_VERBOSE) process.stderr.write(`${message}\n`);
    },
    warn(message) {
      process.stderr.write(`mailops: warning: ${message}\n`);
    },
    async confirm(question) {
      if (parsed.values.yes) return true;
      const answer = await ttyQuestion(`${question} (yes/no) `, false);
      if (answer === undefined) throw new UsageError(`${question}: no terminal to ask on`, { hint: 'pass --yes to confirm from a script' });
      return /^y(es)?$/i.test(answer.trim());
    },
    askSecret(prompt) {
      return ttyQuestion(prompt, true);
    },
  };
  try {
    const code = await command.run(ctx, parsed);
    return code ?? 0;
  } catch (e) {
    return reportError(e, json, name);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (transport) await transport.close().catch(() => undefined);
    await Promise.all([...others.values()].map((t) => t.close().catch(() => undefined)));
  }
}

export function reportError(e: unknown, json: boolean, commandName: string): number {
  const code = e instanceof UsageError ? 2 : 1;
  if (e instanceof MailopsError) {
    if (json) process.stdout.write(`${JSON.stringify({ ok: false, ...e.toJSON() }, null, 2)}\n`);
    process.stderr.write(`mailops ${commandName}: ${e.message}\n`);
  } else {
    const err = e instanceof Error ? e : new Error(String(e));
    if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: err.name, message: err.message }, null, 2)}\n`);
    process.stderr.write(`mailops ${commandName}: unexpected error: ${err.stack ?? err.message}\n`);
  }
  return code;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.exitCode = reportError(e, false, 'mailops');
    },
  );
}
