/**
 * The editor face of Mailops: views and commands over the engine in src/core (which never imports vscode).
 */
import * as vscode from 'vscode';
import type { MailopsTestApi } from './api';
import { registerCommands } from './commands';
import { contextSnapshot } from './context';
import { Connections } from './hosts/connections';
import { disposeLog, getLog } from './log';
import { registerLogs } from './logs';
import { registerPreview } from './preview';
import { MailopsTasks } from './tasks/provider';
import { HostsProvider } from './tree/hostsProvider';
import { registerMessageDocuments } from './tree/messages/messageDocument';

export async function activate(context: vscode.ExtensionContext): Promise<MailopsTestApi | undefined> {
  const log = getLog();
  context.subscriptions.push({ dispose: disposeLog });
  log.info(`Mailops ${String(context.extension.packageJSON.version)} activating (VS Code ${vscode.version}, ${vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop'} UI)`);

  // One transport per host for every view and task (the log viewer and the preview share it).
  const connections = new Connections(context);
  const hostsProvider = new HostsProvider(connections);
  const hostsView = vscode.window.createTreeView('mailops.hosts', { treeDataProvider: hostsProvider, showCollapseAll: true });
  const tasks = new MailopsTasks(connections);
  context.subscriptions.push(connections, hostsProvider, hostsView, tasks, registerMessageDocuments(connections));
  context.subscriptions.push(...registerCommands({ context, hostsProvider, hostsView, connections, tasks }));
  registerLogs(context, { hosts: connections });
  registerPreview(context, { hostContext: (host) => connections.get(host), tasks });
  await hostsProvider.refresh();

  if (context.extensionMode === vscode.ExtensionMode.Test) {
    return { hostsProvider, contextKeys: contextSnapshot, connections, tasks, logUri: context.logUri };
  }
  return undefined;
}

export function deactivate(): void {
  // Everything is in context.subscriptions; pooled SSH connections will be closed there too.
}
