import { homedir } from 'node:os';
import { join } from 'node:path';

/** ~/.config/mailops (XDG_CONFIG_HOME respected): hosts.json and the CLI's own known_hosts trust store. */
export function configDir(): string {
  const base = process.env.XDG_CONFIG_HOME && process.env.XDG_CONFIG_HOME !== '' ? process.env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, 'mailops');
}
