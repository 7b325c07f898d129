/**
 * Reading and writing the `mailops.hosts` setting. Validation is the engine's (parseHostList), so the
 * editor and the CLI's hosts.json accept exactly the same entries.
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

/** The effective value (workspace folder > workspace > user), validated. */
export function readHostsSetting(): HostsSetting {
  const raw = vscode.workspace.getConfiguration(SECTION).get<unknown>(HOSTS_KEY, []);
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

/**
 * Append a host to the user (global) setting. The entry is validated first; names must stay unique across
 * the effective list, since that is what the tree shows.
 */
export async function addHostToUserSettings(entry: HostEntry): Promise<HostConfig> {
  const host = parseHostConfig(entry, HOSTS_SETTING);
  const config = vscode.workspace.getConfiguration(SECTION);
  const current = config.inspect<unknown[]>(HOSTS_KEY)?.globalValue;
  const list = Array.isArray(current) ? [...current] : [];
  if (readHostsSetting().hosts.some((h) => h.name === host.name)) {
    throw new MailopsError(`a host named "${host.name}" already exists`, { hint: 'pick another name' });
  }
  list.push(entry);
  await config.update(HOSTS_KEY, list, vscode.ConfigurationTarget.Global);
  return host;
}
