/**
 * Registers every command. A failure reaches the operator once, as an error message naming what to do next
 * (MailopsError carries host, command and hint), and is logged with the details.
 */
import * as vscode from 'vscode';
import { MailopsError } from '../../core/errors';
import { getLog, logError } from '../log';
import { runArchiveCommand, runBackupCommand } from './backup/run';
import { restoreCyrusFolder } from './cyrus/restoreFolder';
import { addHost } from './host/add';
import { connectHost } from './host/connect';
import { disconnectHost } from './host/disconnect';
import { filterHost } from './host/filter';
import { forgetSecrets } from './host/forgetSecrets';
import { probeHost } from './host/probe';
import { refreshHosts } from './host/refresh';
import { showLog } from './log/show';
import { openMessage } from './message/open';
import { runRestoreCommand } from './restore/run';
import { openTreeLog } from './tree/openLog';
import { previewRestore } from './tree/previewRestore';
import { refreshNode } from './tree/refreshNode';
import { showMore } from './tree/showMore';
import type { CommandDefinition, Services } from './types';
import { runUndeleteCommand } from './undelete/run';
import { runUnexpungeCommand } from './unexpunge/run';
import { runVerifyCommand } from './verify/run';

export const commands: readonly CommandDefinition[] = [
  addHost,
  refreshHosts,
  showLog,
  connectHost,
  disconnectHost,
  filterHost,
  forgetSecrets,
  probeHost,
  refreshNode,
  showMore,
  openTreeLog,
  previewRestore,
  openMessage,
  runBackupCommand,
  runArchiveCommand,
  runVerifyCommand,
  runUnexpungeCommand,
  runUndeleteCommand,
  runRestoreCommand,
  restoreCyrusFolder,
];

export function registerCommands(services: Services): vscode.Disposable[] {
  return commands.map((c) =>
    vscode.commands.registerCommand(c.id, async (...args: unknown[]) => {
      try {
        return await c.run(services, ...args);
      } catch (error) {
        logError(c.id, error);
        const summary = error instanceof MailopsError ? error.message.split('\n')[0] : error instanceof Error ? error.message : String(error);
        const showLogAction = vscode.l10n.t('Show Log');
        void vscode.window.showErrorMessage(summary, showLogAction).then((a) => {
          if (a === showLogAction) getLog().show();
        });
        return undefined;
      }
    }),
  );
}
