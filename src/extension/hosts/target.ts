/**
 * The `user@host:port` form of an SSH target, as typed in the "Add host" flow and shown in the tree.
 * Pure functions (no vscode import), so they are unit-testable.
 */
import type { HostConfig, SshTarget } from '../../core/hosts/model';

export type ParsedTarget = Pick<SshTarget, 'host' | 'port' | 'user'>;

/**
 * Parse `[user@]host[:port]`; IPv6 addresses go in brackets: `root@[2001:db8::1]:2222`.
 * Returns a message instead of throwing, for input box validation.
 */
export function parseSshTarget(text: string): ParsedTarget | { error: string } {
  const t = text.trim();
  if (t === '') return { error: 'enter a target such as root@mail.example.org:22' };
  if (/\s/.test(t)) return { error: 'a target has no spaces' };
  const at = t.lastIndexOf('@');
  const user = at >= 0 ? t.slice(0, at) : undefined;
  const rest = at >= 0 ? t.slice(at + 1) : t;
  if (user === '') return { error: 'the user before "@" is empty' };
  let host: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']');
    if (end < 0) return { error: 'an IPv6 address in brackets lacks its "]"' };
    host = rest.slice(1, end);
    const after = rest.slice(end + 1);
    if (after !== '' && !after.startsWith(':')) return { error: 'expected ":port" after "]"' };
    portText = after === '' ? undefined : after.slice(1);
  } else {
    const colon = rest.indexOf(':');
    if (colon >= 0 && rest.indexOf(':', colon + 1) >= 0) return { error: 'put an IPv6 address in brackets: [2001:db8::1]:22' };
    host = colon >= 0 ? rest.slice(0, colon) : rest;
    portText = colon >= 0 ? rest.slice(colon + 1) : undefined;
  }
  if (host === '') return { error: 'the host name is empty' };
  if (!/^[A-Za-z0-9._:%-]+$/.test(host)) return { error: `"${host}" is not a host name or address` };
  let port: number | undefined;
  if (portText !== undefined) {
    port = /^\d+$/.test(portText) ? Number(portText) : NaN;
    if (!Number.isInteger(port) || port < 1 || port > 65535) return { error: 'the port is a number from 1 to 65535' };
  }
  return { host, ...(port !== undefined ? { port } : {}), ...(user !== undefined ? { user } : {}) };
}

/** How the tree and messages name where a host is reached: `user@host:port`, `[v6]:port`, or `local`. */
export function describeTarget(host: Pick<HostConfig, 'transport' | 'ssh'>): string {
  if (host.transport === 'local' || !host.ssh) return 'local';
  const { user, port } = host.ssh;
  const name = host.ssh.host.includes(':') ? `[${host.ssh.host}]` : host.ssh.host;
  return `${user ? `${user}@` : ''}${name}${port ? `:${port}` : ''}`;
}
