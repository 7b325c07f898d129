/**
 * The editor face of Mailops: views and commands over the engine in src/core (which never imports vscode).
 */
import * as vscode from 'vscode';
import type { MailopsTestApi } from './api';
import { registerCommands } from './commands';
import { contextSnapshot } from './context';
import { disposeLog, getLog } from './log';
import { registerLogs } from './logs';
import { registerPreview } from './preview';
import { HostsProvider } from './tree/hostsProvider';

export async function activate(context: vscode.ExtensionContext): Promise<MailopsTestApi | undefined> {
  const log = getLog();
  context.subscriptions.push({ dispose: disposeLog });
  log.info(`Mailops ${String(context.extension.packageJSON.version)} activating (VS Code ${vscode.version}, ${vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop'} UI)`);

  const hostsProvider = new HostsProvider();
  const hostsView = vscode.window.createTreeView('mailops.hosts', { treeDataProvider: hostsProvider, showCollapseAll: false });
  context.subscriptions.push(hostsProvider, hostsView);
  context.subscriptions.push(...registerCommands({ context, hostsProvider }));
  registerLogs(context);
  registerPreview(context);
  await hostsProvider.refresh();

  if (context.extensionMode === vscode.ExtensionMode.Test) {
    return { hostsProvider, contextKeys: contextSnapshot };
  }
  return undefined;
}

export function deactivate(): void {
  // Everything is in context.subscriptions; pooled SSH connections will be closed there too.
}
