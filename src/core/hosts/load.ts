/**
 * The CLI's hosts file (hosts.json: `{"hosts": [...]}` or a bare list, same schema as the mailops.hosts
 * setting) and ad hoc hosts from `--ssh user@host:port`.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors';
import { parseHostList, type HostConfig } from './model';
import { parseUserHostPort } from './sshConfig';

/** $XDG_CONFIG_HOME/mailops (default ~/.config/mailops). */
export function defaultConfigDir(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const xdg = env.XDG_CONFIG_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(home, '.config'), 'mailops');
}

/** $XDG_CONFIG_HOME/mailops/hosts.json (default ~/.config/mailops/hosts.json). */
export function defaultHostsPath(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  return join(defaultConfigDir(env, home), 'hosts.json');
}

/** 1-based line and column of a character offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  return { line, column };
}

/** Where JSON.parse stopped, from its message (V8 says "at position N" and, lately, "(line L column C)"). */
function jsonErrorPosition(text: string, message: string): { line: number; column: number } | undefined {
  const lc = /line (\d+) column (\d+)/.exec(message);
  if (lc) return { line: Number(lc[1]), column: Number(lc[2]) };
  const pos = /position (\d+)/.exec(message);
  if (pos) return lineColumn(text, Number(pos[1]));
  if (/Unexpected end of JSON input/.test(message)) return lineColumn(text, text.length);
  return undefined;
}

/** Parse hosts.json text; `path` is only for messages. */
export function parseHostsJson(text: string, path: string): HostConfig[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const at = jsonErrorPosition(text, msg);
    throw new UsageError(`${path}${at ? `:${at.line}:${at.column}` : ''}: not valid JSON`, {
      meaning: msg,
      hint: at ? `fix line ${at.line}, column ${at.column} of ${path} (comments and trailing commas are not allowed in JSON)` : `fix ${path}`,
    });
  }
  try {
    return parseHostList(raw, path);
  } catch (e) {
    if (e instanceof UsageError) {
      throw new UsageError(e.message.split('\n')[0]!, { meaning: e.meaning, hint: `fix the entry in ${path}`, cause: e });
    }
    throw e;
  }
}

/** Read and validate a hosts file. Missing file, bad JSON (with line/column) and bad entries are UsageErrors. */
export async function loadHostsFile(path: string = defaultHostsPath()): Promise<HostConfig[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new UsageError(`hosts file ${path} does not exist`, {
        hint: `create it with {"hosts": [{"name": "mail1", "ssh": {"host": "mail1.example.org", "user": "admin"}, "server": "dovecot"}]}, pass --config PATH, or use --ssh USER@HOST`,
      });
    }
    throw new UsageError(`cannot read hosts file ${path}`, { meaning: (e as Error).message, hint: 'check the file permissions', cause: e });
  }
  return parseHostsJson(text, path);
}

export interface AdHocSshOptions {
  /** `user@host`, `user@host:port`, `host`, `user@[::1]:2222`, `ssh://user@host:port`. */
  target: string;
  identity?: string[];
  knownHosts?: string[];
  /** Host name for messages (default: the target as given). */
  name?: string;
}

/** A host from `--ssh user@host:port` (server "detect", no privilege; the caller may override both). */
export function adHocSshHost(opts: AdHocSshOptions): HostConfig {
  const { user, host, port } = parseUserHostPort(opts.target);
  return {
    name: opts.name ?? opts.target,
    transport: 'ssh',
    ssh: {
      host,
      ...(port !== undefined ? { port } : {}),
      ...(user !== undefined ? { user } : {}),
      ...(opts.identity?.length ? { identityFiles: opts.identity } : {}),
      ...(opts.knownHosts?.length ? { knownHostsFiles: opts.knownHosts } : {}),
    },
    server: 'detect',
    privilege: { mode: 'none' },
  };
}
