/**
 * Resolve a host's SSH settings the way OpenSSH would: explicit Mailops settings first, then ~/.ssh/config
 * (first obtained value wins, `Host` and simple `Match` blocks, `Include` with globs relative to ~/.ssh),
 * then OpenSSH's defaults.
 *
 * Parsing is done by the `ssh-config` package. It does not follow `Include`, and its compute() flattens
 * blocks, so the evaluation (which needs to know which block an Include sits in) is done here.
 * `Match exec` is never evaluated (it would run a shell command); such blocks are treated as not matching.
 */
import { existsSync, globSync, readFileSync } from 'node:fs';
import { homedir, hostname as localHostname, userInfo } from 'node:os';
import { isAbsolute, join } from 'node:path';
import SSHConfig, { LineType, type Line } from 'ssh-config';
import { UsageError } from '../errors';
import { hostFieldMatches } from '../transport/knownHosts';
import type { SshTarget } from './model';

export interface ResolvedSshTarget {
  /** The name as configured (a Host alias or a host name). */
  alias: string;
  /** Where to connect (HostName, or the alias). */
  hostName: string;
  port: number;
  user: string;
  /** Private key files, tilde and %-tokens expanded, explicit ones first. Missing default files are left out. */
  identityFiles: string[];
  /** Only use the identity files (ssh_config IdentitiesOnly): the agent is then not offered. */
  identitiesOnly: boolean;
  /** ssh-agent socket, or undefined for none. */
  agent?: string;
  /** Jump hosts in order (first is contacted first). Their own ProxyJump settings are not followed. */
  jumps: ResolvedSshTarget[];
  /** known_hosts files to read (missing ones are skipped). */
  knownHostsFiles: string[];
  /** The name host keys are looked up under instead of hostName (HostKeyAlias). */
  hostKeyAlias?: string;
  /** Seconds between keepalives. */
  keepaliveInterval: number;
  /** Keepalives missed before the connection is declared dead. */
  keepaliveCountMax: number;
  /** Seconds for TCP connect plus SSH handshake. */
  connectTimeout: number;
  /** Order of authentication methods (OpenSSH names: publickey, keyboard-interactive, password). */
  preferredAuthentications: string[];
}

export interface ResolveOptions {
  /** ssh_config file to read (default HOME/.ssh/config). */
  configPath?: string;
  /** Home directory for ~ and %d (default os.homedir()). */
  home?: string;
  /** Environment for SSH_AUTH_SOCK (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export const DEFAULT_PREFERRED_AUTHENTICATIONS = ['publickey', 'keyboard-interactive', 'password'];
const DEFAULT_IDENTITY_FILES = ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk'];
const MAX_INCLUDE_DEPTH = 16;

/** Values collected from ssh_config, lower-cased keys, in the order obtained. */
type Collected = Map<string, string[]>;
/** Directives whose every occurrence counts (the others: first one wins). */
const MULTI = new Set(['identityfile', 'userknownhostsfile', 'globalknownhostsfile', 'certificatefile']);

interface EvalContext {
  alias: string;
  user?: string;
  localUser: string;
  home: string;
  out: Collected;
  depth: number;
  /** Files seen, to refuse Include loops. */
  stack: string[];
}

function valueList(v: string | { val: string }[]): string[] {
  return typeof v === 'string' ? v.split(/\s+/).filter(Boolean) : v.map((x) => x.val);
}

function valueString(v: string | { val: string }[]): string {
  return typeof v === 'string' ? v : v.map((x) => x.val).join(' ');
}

function tilde(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return join(home, p.slice(2));
  return p;
}

function readConfig(path: string): SSHConfig | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read SSH config ${path}`, { cause: e, meaning: (e as Error).message, hint: 'check the file permissions, or set useSshConfig: false for this host' });
  }
  try {
    return SSHConfig.parse(text);
  } catch (e) {
    throw new UsageError(`cannot parse SSH config ${path}`, { cause: e, meaning: (e as Error).message, hint: 'fix the file (`ssh -G HOST` shows what OpenSSH makes of it), or set useSshConfig: false for this host' });
  }
}

function includePaths(spec: string, home: string): string[] {
  const out: string[] = [];
  for (const word of spec.split(/\s+/).filter(Boolean)) {
    let p = tilde(word, home);
    if (!isAbsolute(p)) p = join(home, '.ssh', p);
    if (/[*?[]/.test(p)) out.push(...globSync(p).sort());
    else if (existsSync(p)) out.push(p);
  }
  return out;
}

function matchBlock(criteria: Record<string, string | { val: string }[]>, ctx: EvalContext): boolean {
  for (const [rawKey, rawVal] of Object.entries(criteria)) {
    const negate = rawKey.startsWith('!');
    const key = (negate ? rawKey.slice(1) : rawKey).toLowerCase();
    const val = valueString(rawVal);
    let ok: boolean;
    switch (key) {
      case 'all':
      case 'final':
        ok = true;
        break;
      case 'canonical':
      case 'exec':
        ok = false;
        break;
      case 'host':
        ok = hostFieldMatches(val, ctx.out.get('hostname')?.[0] ?? ctx.alias);
        break;
      case 'originalhost':
        ok = hostFieldMatches(val, ctx.alias);
        break;
      case 'user':
        ok = hostFieldMatches(val, ctx.user ?? ctx.out.get('user')?.[0] ?? ctx.localUser);
        break;
      case 'localuser':
        ok = hostFieldMatches(val, ctx.localUser);
        break;
      default:
        ok = false;
    }
    if (negate) ok = !ok;
    if (!ok) return false;
  }
  return true;
}

function evaluateLines(lines: readonly Line[], ctx: EvalContext, active: boolean): void {
  for (const line of lines) {
    if (line.type !== LineType.DIRECTIVE) continue;
    const param = line.param.toLowerCase();
    if ('config' in line && (param === 'host' || param === 'match')) {
      const blockActive =
        param === 'host'
          ? hostFieldMatches(valueList(line.value).join(','), ctx.alias)
          : 'criteria' in line && matchBlock(line.criteria, ctx);
      evaluateLines(line.config, ctx, blockActive);
      continue;
    }
    if (param === 'include') {
      if (ctx.depth >= MAX_INCLUDE_DEPTH) throw new UsageError(`SSH config: Include nested more than ${MAX_INCLUDE_DEPTH} deep`, { hint: 'look for an Include loop' });
      for (const p of includePaths(valueString(line.value), ctx.home)) {
        if (ctx.stack.includes(p)) continue;
        const inc = readConfig(p);
        if (!inc) continue;
        ctx.stack.push(p);
        ctx.depth++;
        evaluateLines(inc, ctx, active);
        ctx.depth--;
        ctx.stack.pop();
      }
      continue;
    }
    if (!active) continue;
    const value = valueString(line.value);
    const prev = ctx.out.get(param);
    if (MULTI.has(param)) ctx.out.set(param, [...(prev ?? []), ...(param === 'identityfile' ? [value] : valueList(line.value))]);
    else if (!prev) ctx.out.set(param, [value]);
  }
}

/** What ~/.ssh/config says about one alias (lower-cased directive names; the first value wins except for lists). */
export function readSshConfigFor(alias: string, opts: ResolveOptions & { user?: string } = {}): Collected {
  const home = opts.home ?? homedir();
  const path = opts.configPath ?? join(home, '.ssh', 'config');
  const out: Collected = new Map();
  const cfg = readConfig(path);
  if (cfg) evaluateLines(cfg, { alias, user: opts.user, localUser: localUserName(), home, out, depth: 0, stack: [path] }, true);
  return out;
}

function localUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'root';
  }
}

/** %-tokens of ssh_config (IdentityFile, UserKnownHostsFile, IdentityAgent, HostName). Unknown tokens are an error like in OpenSSH. */
export function expandTokens(s: string, t: { home: string; localUser: string; host: string; alias: string; user: string; port: number }): string {
  return s.replace(/%(.)/g, (_m, c: string) => {
    switch (c) {
      case '%': return '%';
      case 'd': return t.home;
      case 'u': return t.localUser;
      case 'h': return t.host;
      case 'n': return t.alias;
      case 'r': return t.user;
      case 'p': return String(t.port);
      case 'l': return localHostname().split('.')[0] ?? '';
      case 'L': return localHostname();
      default:
        throw new UsageError(`SSH config: unsupported token %${c} in "${s}"`, { hint: 'Mailops understands %%, %d, %u, %h, %n, %r, %p, %l, %L' });
    }
  });
}

function num(v: string | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`SSH config: ${what} "${v}" is not a number`);
  return n;
}

/** Parse `[user@]host[:port]` or `ssh://[user@]host[:port]` (IPv6 in brackets), the ProxyJump / `--ssh` syntax. */
export function parseUserHostPort(spec: string): { user?: string; host: string; port?: number } {
  let s = spec.trim();
  if (s.startsWith('ssh://')) s = s.slice(6).replace(/\/$/, '');
  let user: string | undefined;
  const at = s.lastIndexOf('@');
  if (at >= 0) {
    user = s.slice(0, at);
    s = s.slice(at + 1);
  }
  let host = s;
  let port: number | undefined;
  const br = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (br) {
    host = br[1]!;
    if (br[2] !== undefined) port = Number(br[2]);
  } else {
    const m = /^([^:]+):(\d+)$/.exec(s);
    if (m) {
      host = m[1]!;
      port = Number(m[2]);
    } else if (s.includes(':') && !/^[0-9a-fA-F:.]+$/.test(s)) {
      throw new UsageError(`"${spec}" is not [user@]host[:port]`, { hint: 'write IPv6 addresses in brackets: user@[::1]:2222' });
    }
  }
  if (!host || (user !== undefined && user === '')) throw new UsageError(`"${spec}" is not [user@]host[:port]`, { hint: 'for example admin@mail.example.org:2222' });
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) throw new UsageError(`port in "${spec}" must be from 1 to 65535`);
  return { user, host, port };
}

/**
 * The full set of connection settings for a target. Precedence: the Mailops host entry, then ssh_config,
 * then OpenSSH's defaults. Throws UsageError for settings that cannot be understood.
 */
export function resolveSshTarget(target: SshTarget, opts: ResolveOptions = {}, isJump = false): ResolvedSshTarget {
  const home = opts.home ?? homedir();
  const env = opts.env ?? process.env;
  const localUser = localUserName();
  const cfg: Collected = target.useSshConfig === false ? new Map() : readSshConfigFor(target.host, { ...opts, home, user: target.user });
  const first = (k: string): string | undefined => cfg.get(k)?.[0];

  const alias = target.host;
  const port = target.port ?? num(first('port'), 'Port') ?? 22;
  const user = target.user ?? first('user') ?? localUser;
  const tokenCtx = { home, localUser, host: alias, alias, user, port };
  const hostNameRaw = first('hostname');
  const hostName = hostNameRaw ? expandTokens(hostNameRaw, tokenCtx) : alias;
  tokenCtx.host = hostName;
  const expand = (p: string) => tilde(expandTokens(tilde(p, home), tokenCtx), home);

  const identityFiles: string[] = [];
  for (const f of target.identityFiles ?? []) identityFiles.push(expand(f));
  for (const f of cfg.get('identityfile') ?? []) if (f.toLowerCase() !== 'none') identityFiles.push(expand(f));
  if (identityFiles.length === 0) {
    for (const f of DEFAULT_IDENTITY_FILES) {
      const p = join(home, '.ssh', f);
      if (existsSync(p)) identityFiles.push(p);
    }
  }

  let agent: string | undefined;
  if (typeof target.agent === 'string') agent = expand(target.agent);
  else if (target.agent === false) agent = undefined;
  else {
    const ia = first('identityagent');
    if (ia === undefined || ia === 'SSH_AUTH_SOCK' || target.agent === true) agent = env.SSH_AUTH_SOCK || undefined;
    else if (ia.toLowerCase() === 'none') agent = undefined;
    else agent = ia.startsWith('$') ? env[ia.slice(1)] || undefined : expand(ia);
  }

  const knownHostsFiles = target.knownHostsFiles?.map(expand) ??
    (cfg.get('userknownhostsfile')?.filter((f) => f.toLowerCase() !== 'none').map(expand) ?? [join(home, '.ssh', 'known_hosts'), join(home, '.ssh', 'known_hosts2')]);
  const globalKnown = cfg.get('globalknownhostsfile')?.map(expand) ?? ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];

  const serverAlive = num(first('serveraliveinterval'), 'ServerAliveInterval');
  const proxyJump = target.proxyJump ?? first('proxyjump');
  const jumps: ResolvedSshTarget[] = [];
  if (!isJump && proxyJump && proxyJump.toLowerCase() !== 'none') {
    for (const spec of proxyJump.split(',')) {
      const j = parseUserHostPort(spec);
      jumps.push(
        resolveSshTarget(
          { host: j.host, port: j.port, user: j.user, agent: target.agent, knownHostsFiles: target.knownHostsFiles, useSshConfig: target.useSshConfig, keepaliveInterval: target.keepaliveInterval, connectTimeout: target.connectTimeout },
          opts,
          true,
        ),
      );
    }
  }

  const preferred = first('preferredauthentications')?.split(',').map((s) => s.trim()).filter(Boolean);

  return {
    alias,
    hostName,
    port,
    user,
    identityFiles: [...new Set(identityFiles)],
    identitiesOnly: (first('identitiesonly') ?? 'no').toLowerCase() === 'yes',
    agent,
    jumps,
    knownHostsFiles: [...knownHostsFiles, ...globalKnown],
    hostKeyAlias: first('hostkeyalias'),
    keepaliveInterval: target.keepaliveInterval ?? (serverAlive && serverAlive > 0 ? serverAlive : 10),
    keepaliveCountMax: num(first('serveralivecountmax'), 'ServerAliveCountMax') ?? 3,
    connectTimeout: target.connectTimeout ?? num(first('connecttimeout'), 'ConnectTimeout') ?? 20,
    preferredAuthentications: preferred ?? DEFAULT_PREFERRED_AUTHENTICATIONS,
  };
}

/** Host aliases without wildcards or negation, in file order (Includes followed), for an "Add host" pick list. */
export function listSshConfigHosts(configPath?: string, home: string = homedir()): string[] {
  const path = configPath ?? join(home, '.ssh', 'config');
  const out: string[] = [];
  const seen = new Set<string>([path]);
  const walk = (lines: readonly Line[], depth: number) => {
    for (const line of lines) {
      if (line.type !== LineType.DIRECTIVE) continue;
      const param = line.param.toLowerCase();
      if (param === 'host') {
        for (const h of valueList(line.value)) if (!/[*?!]/.test(h) && !out.includes(h)) out.push(h);
      }
      if ('config' in line) walk(line.config, depth);
      if (param === 'include' && depth < MAX_INCLUDE_DEPTH) {
        for (const p of includePaths(valueString(line.value), home)) {
          if (seen.has(p)) continue;
          seen.add(p);
          const inc = readConfig(p);
          if (inc) walk(inc, depth + 1);
        }
      }
    }
  };
  const cfg = readConfig(path);
  if (cfg) walk(cfg, 0);
  return out;
}
