import { join } from 'node:path';
import type { CliCommand } from '../types';
import { loadHostsFile } from '../../core/hosts/load';
import type { HostConfig } from '../../core/hosts/model';
import { configDir } from '../config';

export function describeTarget(h: HostConfig): string {
  if (h.transport === 'local') return 'local';
  const s = h.ssh!;
  return `${s.user ? `${s.user}@` : ''}${s.host}${s.port && s.port !== 22 ? `:${s.port}` : ''}${s.proxyJump ? ` via ${s.proxyJump}` : ''}`;
}

export const hostsCommand: CliCommand = {
  name: 'hosts',
  summary: 'list the hosts of the hosts file',
  usage: '[--config FILE]',
  help: 'Reads ~/.config/mailops/hosts.json (or --config, or $MAILOPS_CONFIG); nothing is contacted.',
  needsHost: false,
  async run(ctx, args) {
    const path = (args.values.config as string | undefined) ?? process.env.MAILOPS_CONFIG ?? join(configDir(), 'hosts.json');
    const hosts = await loadHostsFile(path);
    ctx.result({ config: path, hosts }, (v) =>
      v.hosts.length === 0
        ? `no hosts in ${v.config}`
        : [
            `${'NAME'.padEnd(20)} ${'TRANSPORT'.padEnd(9)} ${'SERVER'.padEnd(8)} TARGET`,
            ...v.hosts.map((h) => `${h.name.padEnd(20)} ${h.transport.padEnd(9)} ${h.server.padEnd(8)} ${describeTarget(h)}`),
          ].join('\n'),
    );
  },
};
