/**
 * One CLI per capability: commands such as `backup`, `backups`, `schedule` and `mailboxes` dispatch on the
 * host's server kind. The kind is the host's `server`; for `detect` hosts the global `--server dovecot|cyrus`
 * chooses, else the host is probed once (per HostContext) and the one server found is used. With both
 * servers on the host and no --server, the command stops with a usage error that says so.
 */
import { MailopsError, UsageError } from '../core/errors';
import type { HostContext } from '../core/hosts/context';
import { probe } from '../core/probe';
import { STORAGE_SETTINGS_TEXT } from '../core/dovecot/dialect';
import type { CommandArgs } from './types';

export type MailServer = 'dovecot' | 'cyrus';

const detected = new WeakMap<HostContext, Promise<Array<'dovecot' | 'cyrus'>>>();

function detect(host: HostContext, signal?: AbortSignal): Promise<Array<'dovecot' | 'cyrus'>> {
  let p = detected.get(host);
  if (!p) {
    p = probe(host, signal).then((r) => r.detected);
    detected.set(host, p);
    p.catch(() => detected.delete(host));
  }
  return p;
}

/** The server kind a command works with on this host (see the file comment). `command` names it in messages. */
export async function serverKind(host: HostContext, values: CommandArgs['values'], command: string, signal?: AbortSignal): Promise<MailServer> {
  const flag = values.server as string | undefined;
  if (flag !== undefined && flag !== 'dovecot' && flag !== 'cyrus' && flag !== 'detect') throw new UsageError(`--server must be dovecot, cyrus or detect, not ${JSON.stringify(flag)}`);
  const configured = host.config.server;
  if (configured !== 'detect') {
    if (flag !== undefined && flag !== 'detect' && flag !== configured) {
      throw new UsageError(`host ${host.config.name} is configured as a ${configured} server; --server ${flag} contradicts it`, { hint: `drop --server, or change "server" of the host in the hosts file` });
    }
    return configured;
  }
  if (flag === 'dovecot' || flag === 'cyrus') return flag;
  const kinds = await detect(host, signal);
  if (kinds.length === 1) return kinds[0]!;
  if (kinds.length === 0) {
    throw new MailopsError('neither Dovecot nor Cyrus was found on the host', {
      host: host.config.name,
      meaning: `the probe found no doveadm whose configuration names a mail storage (${STORAGE_SETTINGS_TEXT}) in a dialect it could tell, and no Cyrus tools with a readable imapd.conf`,
      hint: 'run mailops probe to see what was found; set dovecot.config or cyrus.config of the host',
    });
  }
  throw new UsageError(`host ${host.config.name} runs both Dovecot and Cyrus: say which one \`mailops ${command}\` is for with --server dovecot or --server cyrus`, {
    hint: 'or set "server" of the host in the hosts file',
  });
}
