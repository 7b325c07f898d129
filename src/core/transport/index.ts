/**
 * Making transports for configured hosts, and keeping one per host.
 */
import { TransportError } from '../errors';
import type { HostConfig } from '../hosts/model';
import { resolveSshTarget, type ResolveOptions } from '../hosts/sshConfig';
import { LocalTransport } from './local';
import type { LogFn } from './run';
import { SshTransport } from './ssh';
import type { Prompter, Transport } from './types';

export type { LogFn, LogLevel } from './run';
export type * from './types';
export { LocalTransport } from './local';
export { SshTransport } from './ssh';

export interface TransportDeps {
  prompter: Prompter;
  /** The extension's own known_hosts-format file (e.g. ~/.config/mailops/known_hosts for the CLI). */
  trustStorePath: string;
  log?: LogFn;
  /** Where ~/.ssh/config is read from (tests). */
  sshConfig?: ResolveOptions;
  /** Channels open at once per SSH connection (default 8). */
  maxChannels?: number;
  /** Milliseconds between TERM and KILL of a cancelled command (default 3000). */
  killGraceMs?: number;
}

/**
 * A transport for one host. SSH settings are resolved now (Mailops settings, then ~/.ssh/config);
 * the connection itself is opened on the first command. Throws UsageError for unusable settings.
 */
export function createTransport(host: HostConfig, deps: TransportDeps): Transport {
  if (host.transport === 'local') return new LocalTransport({ name: host.name, log: deps.log, killGraceMs: deps.killGraceMs });
  if (!host.ssh) {
    throw new TransportError('config', 'the host has transport "ssh" but no ssh settings', {
      host: host.name,
      hint: 'add "ssh": { "host": "…" } to the host entry',
    });
  }
  const target = resolveSshTarget(host.ssh, deps.sshConfig);
  return new SshTransport({
    name: host.name,
    target,
    prompter: deps.prompter,
    trustStorePath: deps.trustStorePath,
    log: deps.log,
    maxChannels: deps.maxChannels,
    killGraceMs: deps.killGraceMs,
    runner: host.ssh.runner,
  });
}

/** One transport per host name, reused by every command for that host. */
export class TransportPool {
  private readonly transports = new Map<string, { config: HostConfig; transport: Transport }>();

  constructor(private readonly deps: TransportDeps) {}

  /** The host's transport; a changed host configuration replaces (and closes) the old one. */
  get(host: HostConfig): Transport {
    const have = this.transports.get(host.name);
    if (have && JSON.stringify(have.config) === JSON.stringify(host)) return have.transport;
    if (have) void have.transport.close();
    const transport = createTransport(host, this.deps);
    this.transports.set(host.name, { config: host, transport });
    return transport;
  }

  has(name: string): boolean {
    return this.transports.has(name);
  }

  /** Close one host's transport (running commands are cancelled). */
  async close(name: string): Promise<void> {
    const have = this.transports.get(name);
    this.transports.delete(name);
    await have?.transport.close();
  }

  async closeAll(): Promise<void> {
    const all = [...this.transports.values()];
    this.transports.clear();
    await Promise.all(all.map((t) => t.transport.close()));
  }
}
