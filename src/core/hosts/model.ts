/**
 * The host model: one entry of the `mailops.hosts` setting, or of the CLI's hosts.json (same schema).
 */
import { UsageError } from '../errors';
import { parseDuration } from '../health/duration';

export type ServerKind = 'dovecot' | 'cyrus' | 'detect';
export type PrivilegeMode = 'none' | 'sudo' | 'sudo-user';

export interface SshTarget {
  /** Host name or address; also looked up as a `Host` alias in ~/.ssh/config. */
  host: string;
  port?: number;
  user?: string;
  /** Private key files (tilde expanded). Passphrases are asked through the Prompter and kept in SecretStorage. */
  identityFiles?: string[];
  /** Use ssh-agent (SSH_AUTH_SOCK) when true or when a socket path is given. Default: true when SSH_AUTH_SOCK is set. */
  agent?: boolean | string;
  /** Jump host(s), OpenSSH syntax: [user@]host[:port][,…]. */
  proxyJump?: string;
  /** Extra known_hosts files checked before the extension's own trust store. Default ~/.ssh/known_hosts. */
  knownHostsFiles?: string[];
  /** Read ~/.ssh/config for this host (default true). */
  useSshConfig?: boolean;
  /** Seconds between keepalives (default 10); the connection is declared dead after 3 missed. */
  keepaliveInterval?: number;
  /** Seconds to wait for the TCP connect and handshake (default 20). */
  connectTimeout?: number;
  /**
   * Run commands through one session runner per connection (true): a small Perl program on one channel,
   * no new SSH session on the host per command. Default false: a channel (a session) per command (see
   * transport/ssh/connection.ts for why the runner is not the default yet).
   */
  runner?: boolean;
}

export interface Privilege {
  mode: PrivilegeMode;
  /** For `sudo-user`: the user to run as (e.g. `cyrus`). */
  user?: string;
}

export interface HostConfig {
  name: string;
  transport: 'ssh' | 'local';
  ssh?: SshTarget;
  server: ServerKind;
  dovecot?: {
    /** doveadm -c PATH */
    config?: string;
    /** Where backups live on the host (default /var/backups/mailops). */
    backupRoot?: string;
  };
  cyrus?: {
    /** imapd.conf, passed to every Cyrus tool as -C PATH */
    config?: string;
    /** cyrus.conf (for the master); informational */
    cyrusConf?: string;
    /** Where backups live on the host (default /var/backups/mailops). */
    backupRoot?: string;
    /** Admin user for IMAP operations (undelete); the password is in SecretStorage or asked. */
    admin?: string;
    /** IMAP host:port for admin operations (default 127.0.0.1:143 on the mail host). */
    imap?: string;
  };
  privilege: Privilege;
  /** Shell commands run before and after a file backup (e.g. a filesystem snapshot). argv lists. */
  hooks?: { preBackup?: string[]; postBackup?: string[] };
  /** Health policy (seconds): when a kind's newest backup is stale; how old the last verify may be (unset: not required). */
  health?: { maxAge?: { mirror?: number; full?: number; incr?: number }; verifyMaxAge?: number };
}

export const DEFAULT_BACKUP_ROOT = '/var/backups/mailops';

/** Prefix an argv with the configured way of gaining privileges. */
export function withPrivilege(argv: readonly string[], privilege: Privilege | undefined): string[] {
  switch (privilege?.mode ?? 'none') {
    case 'none':
      return [...argv];
    case 'sudo':
      return ['sudo', '-n', '--', ...argv];
    case 'sudo-user':
      if (!privilege?.user) throw new UsageError('privilege mode sudo-user needs a user');
      return ['sudo', '-n', '-u', privilege.user, '--', ...argv];
  }
}

function fail(where: string, what: string): never {
  throw new UsageError(`invalid host configuration at ${where}: ${what}`, {
    hint: 'fix the entry in the mailops.hosts setting or in the hosts.json file',
  });
}

function optString(o: Record<string, unknown>, key: string, where: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v === '') fail(`${where}.${key}`, 'expected a non-empty string');
  return v;
}

function optStringArray(o: Record<string, unknown>, key: string, where: string): string[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail(`${where}.${key}`, 'expected a list of strings');
  return v as string[];
}

function optBoolean(o: Record<string, unknown>, key: string, where: string): boolean | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') fail(`${where}.${key}`, 'expected true or false');
  return v;
}

function optNumber(o: Record<string, unknown>, key: string, where: string, min: number, max: number): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(`${where}.${key}`, `expected a whole number from ${min} to ${max}`);
  return v;
}

function asObject(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(where, 'expected an object');
  return v as Record<string, unknown>;
}

/** Validate one host entry; throws UsageError naming the bad field. */
export function parseHostConfig(raw: unknown, where = 'host'): HostConfig {
  const o = asObject(raw, where);
  const name = optString(o, 'name', where) ?? fail(`${where}.name`, 'missing');
  where = `host "${name}"`;
  const transport = (o.transport ?? 'ssh') as string;
  if (transport !== 'ssh' && transport !== 'local') fail(`${where}.transport`, 'expected "ssh" or "local"');
  const server = (o.server ?? 'detect') as string;
  if (server !== 'dovecot' && server !== 'cyrus' && server !== 'detect') fail(`${where}.server`, 'expected "dovecot", "cyrus" or "detect"');
  const host: HostConfig = { name, transport, server, privilege: { mode: 'none' } };
  if (transport === 'ssh') {
    const s = asObject(o.ssh ?? fail(`${where}.ssh`, 'missing (transport is ssh)'), `${where}.ssh`);
    const agent = s.agent;
    if (agent !== undefined && typeof agent !== 'boolean' && typeof agent !== 'string') fail(`${where}.ssh.agent`, 'expected true, false or a socket path');
    host.ssh = {
      host: optString(s, 'host', `${where}.ssh`) ?? fail(`${where}.ssh.host`, 'missing'),
      port: optNumber(s, 'port', `${where}.ssh`, 1, 65535),
      user: optString(s, 'user', `${where}.ssh`),
      identityFiles: optStringArray(s, 'identityFiles', `${where}.ssh`),
      agent: agent as boolean | string | undefined,
      proxyJump: optString(s, 'proxyJump', `${where}.ssh`),
      knownHostsFiles: optStringArray(s, 'knownHostsFiles', `${where}.ssh`),
      useSshConfig: typeof s.useSshConfig === 'boolean' ? s.useSshConfig : undefined,
      keepaliveInterval: optNumber(s, 'keepaliveInterval', `${where}.ssh`, 1, 3600),
      connectTimeout: optNumber(s, 'connectTimeout', `${where}.ssh`, 1, 600),
      runner: optBoolean(s, 'runner', `${where}.ssh`),
    };
    if (s.password !== undefined || s.passphrase !== undefined) {
      fail(`${where}.ssh`, 'passwords and passphrases do not belong in the configuration; Mailops asks for them and keeps them in the secret store');
    }
  }
  if (o.dovecot !== undefined) {
    const d = asObject(o.dovecot, `${where}.dovecot`);
    host.dovecot = { config: optString(d, 'config', `${where}.dovecot`), backupRoot: optString(d, 'backupRoot', `${where}.dovecot`) };
  }
  if (o.cyrus !== undefined) {
    const c = asObject(o.cyrus, `${where}.cyrus`);
    host.cyrus = {
      config: optString(c, 'config', `${where}.cyrus`),
      cyrusConf: optString(c, 'cyrusConf', `${where}.cyrus`),
      backupRoot: optString(c, 'backupRoot', `${where}.cyrus`),
      admin: optString(c, 'admin', `${where}.cyrus`),
      imap: optString(c, 'imap', `${where}.cyrus`),
    };
  }
  if (o.privilege !== undefined) {
    const p = typeof o.privilege === 'string' ? { mode: o.privilege } : asObject(o.privilege, `${where}.privilege`);
    const mode = p.mode as string;
    if (mode !== 'none' && mode !== 'sudo' && mode !== 'sudo-user') fail(`${where}.privilege.mode`, 'expected "none", "sudo" or "sudo-user"');
    const user = optString(p as Record<string, unknown>, 'user', `${where}.privilege`);
    if (mode === 'sudo-user' && !user) fail(`${where}.privilege.user`, 'missing (mode is sudo-user)');
    host.privilege = { mode, user };
  }
  if (o.hooks !== undefined) {
    const h = asObject(o.hooks, `${where}.hooks`);
    host.hooks = { preBackup: optStringArray(h, 'preBackup', `${where}.hooks`), postBackup: optStringArray(h, 'postBackup', `${where}.hooks`) };
  }
  if (o.health !== undefined) {
    const h = asObject(o.health, `${where}.health`);
    const dur = (obj: Record<string, unknown>, key: string, at: string): number | undefined => {
      if (obj[key] === undefined || obj[key] === null) return undefined;
      return parseDuration(obj[key]) ?? fail(`${at}.${key}`, 'expected seconds (a whole number) or a duration such as "90m", "26h", "7d"');
    };
    host.health = {};
    if (h.maxAge !== undefined) {
      const m = asObject(h.maxAge, `${where}.health.maxAge`);
      for (const k of Object.keys(m)) if (k !== 'mirror' && k !== 'full' && k !== 'incr') fail(`${where}.health.maxAge.${k}`, 'unknown kind (mirror, full, incr)');
      host.health.maxAge = { mirror: dur(m, 'mirror', `${where}.health.maxAge`), full: dur(m, 'full', `${where}.health.maxAge`), incr: dur(m, 'incr', `${where}.health.maxAge`) };
    }
    const va = dur(h, 'verifyMaxAge', `${where}.health`);
    if (va !== undefined) host.health.verifyMaxAge = va;
  }
  return host;
}

/** Validate a whole list; names must be unique. */
export function parseHostList(raw: unknown, where = 'hosts'): HostConfig[] {
  const list = Array.isArray(raw) ? raw : asObject(raw, where).hosts;
  if (!Array.isArray(list)) fail(where, 'expected a list of hosts (or an object with a "hosts" list)');
  const hosts = list.map((h, i) => parseHostConfig(h, `${where}[${i}]`));
  const seen = new Set<string>();
  for (const h of hosts) {
    if (seen.has(h.name)) fail(where, `host name "${h.name}" appears twice`);
    seen.add(h.name);
  }
  return hosts;
}
