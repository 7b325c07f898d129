/**
 * Reading and writing the `mailops.hosts` setting. Validation is the engine's (parseHostList), so the
 * editor and the CLI's hosts.json accept exactly the same entries.
 *
 * The setting is machine-scoped (package.json): it says where Mailops connects and what it runs as root
 * there (hooks, privilege), so only the operator's own settings may define it, never a repository's
 * .vscode/settings.json or .code-workspace file. VS Code already drops workspace values of a machine-scoped
 * setting; reading the user level alone here keeps that true whatever the editor does (workspaceHosts.ts
 * tells the operator about a workspace that tries).
 */
import * as vscode from 'vscode';
import { MailopsError } from '../../core/errors';
import { parseHostConfig, parseHostList, type HostConfig } from '../../core/hosts/model';

export const SECTION = 'mailops';
export const HOSTS_KEY = 'hosts';
export const HOSTS_SETTING = `${SECTION}.${HOSTS_KEY}`;

export interface HostsSetting {
  /** Valid hosts; empty when the setting is invalid. */
  hosts: HostConfig[];
  /** Number of entries in the setting, valid or not. */
  entries: number;
  /** Why the setting was rejected, naming the bad field. */
  error?: MailopsError;
}

/**
 * The operator's hosts, validated: the user value (in a remote window, the remote machine's settings; VS
 * Code merges them into globalValue), never a workspace or folder value.
 */
export function readHostsSetting(): HostsSetting {
  const raw = vscode.workspace.getConfiguration(SECTION).inspect<unknown>(HOSTS_KEY)?.globalValue ?? [];
  const entries = Array.isArray(raw) ? raw.length : 0;
  try {
    return { hosts: parseHostList(raw ?? [], HOSTS_SETTING), entries };
  } catch (error) {
    if (error instanceof MailopsError) return { hosts: [], entries: Math.max(entries, 1), error };
    throw error;
  }
}

/** A host entry as stored in settings.json: only the fields that are set. */
export type HostEntry = Partial<HostConfig> & Pick<HostConfig, 'name'>;

/** Where a host added by the editor is kept: the user's settings, or (remote window) the remote machine's. */
export type HostsSettingsTarget = { level: 'user' } | { level: 'remote'; remoteName: string };

/**
 * Where ConfigurationTarget.Global puts a machine-scoped setting: in a remote window (Remote-SSH, a
 * container, code-server in a browser) VS Code writes it to the remote machine's settings (the "Remote" tab
 * of the Settings editor, on code-server DATA_DIR/data/Machine/settings.json), else to the user's.
 */
export function hostsSettingsTarget(): HostsSettingsTarget {
  const remoteName = vscode.env.remoteName;
  return remoteName ? { level: 'remote', remoteName } : { level: 'user' };
}

/**
 * Append a host to the operator's setting (see hostsSettingsTarget). The entry is validated first; names
 * must stay unique, since that is what the tree shows.
 */
export async function addHostToSettings(entry: HostEntry): Promise<{ host: HostConfig; target: HostsSettingsTarget }> {
  const host = parseHostConfig(entry, HOSTS_SETTING);
  const config = vscode.workspace.getConfiguration(SECTION);
  const current = config.inspect<unknown[]>(HOSTS_KEY)?.globalValue;
  const list = Array.isArray(current) ? [...current] : [];
  if (readHostsSetting().hosts.some((h) => h.name === host.name)) {
    throw new MailopsError(`a host named "${host.name}" already exists`, { hint: 'pick another name' });
  }
  list.push(entry);
  await config.update(HOSTS_KEY, list, vscode.ConfigurationTarget.Global);
  return { host, target: hostsSettingsTarget() };
}
