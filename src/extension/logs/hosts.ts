/**
 * Host contexts for the log views: the configured hosts (mailops.hosts) with one pooled transport each.
 * The prompter asks in the editor: an unknown host key in a modal warning with its fingerprint, secrets in
 * a password input box (never logged, never stored by this file).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { UsageError } from '../../core/errors';
import type { HostContext } from '../../core/hosts/context';
import type { HostConfig } from '../../core/hosts/model';
import { TransportPool } from '../../core/transport/index';
import type { Prompter } from '../../core/transport/types';
import { readHostsSetting } from '../hosts/settings';
import { getLog } from '../log';

export interface HostContexts extends vscode.Disposable {
  /** The configured hosts (valid entries). */
  hosts(): HostConfig[];
  /** A context for a configured host; UsageError when there is no such host. */
  get(name: string): HostContext;
}

const prompter: Prompter = {
  async confirmHostKey(info) {
    const trust = vscode.l10n.t('Trust and Connect');
    const answer = await vscode.window.showWarningMessage(
      vscode.l10n.t('The host key of {0}:{1} is not known.', info.host, info.port),
      { modal: true, detail: vscode.l10n.t('{0} key fingerprint {1}. Compare it with the server\'s own (ssh-keygen -lf on the host) before trusting it.', info.keyType, info.fingerprint) },
      trust,
    );
    return answer === trust;
  },
  async askSecret(info) {
    return vscode.window.showInputBox({
      title: vscode.l10n.t('Mailops: {0}@{1}', info.user, info.host),
      prompt: info.prompt,
      password: !info.echo,
      ignoreFocusOut: true,
    });
  },
};

export function createHostContexts(context: vscode.ExtensionContext): HostContexts {
  const storage = context.globalStorageUri.fsPath;
  mkdirSync(storage, { recursive: true });
  const log = getLog();
  const pool = new TransportPool({
    prompter,
    trustStorePath: join(storage, 'known_hosts'),
    log: (level, msg) => log[level](msg),
  });
  return {
    hosts: () => readHostsSetting().hosts,
    get(name) {
      const config = readHostsSetting().hosts.find((h) => h.name === name);
      if (!config) {
        throw new UsageError(`no host named "${name}" is configured`, { hint: 'add it in the Mailops Hosts view or in the mailops.hosts setting' });
      }
      return { config, transport: pool.get(config) };
    },
    dispose() {
      void pool.closeAll();
    },
  };
}
