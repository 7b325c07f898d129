/**
 * Turning a command's argument into what it acts on: a tree node (context menus pass the node), a plain
 * object ({host, account, …} from other commands, tests, CodeLenses), or nothing (ask with quick picks).
 */
import * as vscode from 'vscode';
import { UsageError } from '../../core/errors';
import type { Connections } from '../hosts/connections';
import type { MailopsTasks } from '../tasks/provider';
import type { MailopsTaskDefinition } from '../tasks/definition';
import { AccountNode } from '../tree/accounts/accountNode';
import { HostNode } from '../tree/hosts/hostNode';
import { MailopsNode } from '../tree/node';
import type { Services } from './types';

export function needConnections(s: Services): Connections {
  if (!s.connections) throw new Error('Mailops connections are not available');
  return s.connections;
}

export function needTasks(s: Services): MailopsTasks {
  if (!s.tasks) throw new Error('Mailops tasks are not available');
  return s.tasks;
}

/**
 * The options object a command was called with by code ({host, account, kind, filter, yes}: other commands,
 * tasks, tests, the webview): never a tree node. A tree node (what a context menu or an inline action
 * passes) is never read as options: its own properties mean something else (an account node's `kind` is
 * "account", a host node's `filter` is its current filter), and reading them as the command's options ran a
 * backup of kind "account" and set a host's filter to its old value (issue 13.1, 13.2). Nodes are read only
 * through hostNodeOf / accountNodeOf.
 */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof MailopsNode) && !(v instanceof vscode.TreeItem);
}

/** The nearest ancestor (or the node itself) that is a HostNode / AccountNode. */
export function hostNodeOf(node: MailopsNode | undefined): HostNode | undefined {
  for (let n = node; n; n = n.parent) if (n instanceof HostNode) return n;
  return undefined;
}

export function accountNodeOf(node: MailopsNode | undefined): AccountNode | undefined {
  for (let n = node; n; n = n.parent) if (n instanceof AccountNode) return n;
  return undefined;
}

/** A host name from a node, `{host}` or a string; else a quick pick of the configured hosts. */
export async function resolveHost(services: Services, arg: unknown, title: string): Promise<string | undefined> {
  if (typeof arg === 'string') return arg;
  if (isRecord(arg) && !(arg instanceof HostNode) && typeof arg.host === 'string') return arg.host;
  const hn = hostNodeOf(arg as MailopsNode | undefined);
  if (hn) return hn.host.name;
  const hosts = needConnections(services).hosts();
  if (hosts.length === 0) throw new UsageError(vscode.l10n.t('No mail hosts are configured'), { hint: vscode.l10n.t('add one with "Mailops: Add Host"') });
  if (hosts.length === 1) return hosts[0]?.name;
  const pick = await vscode.window.showQuickPick(
    hosts.map((h) => ({ label: h.name, description: h.server })),
    { title, placeHolder: vscode.l10n.t('Which host?') },
  );
  return pick?.label;
}

/** {host, account} from an account node (or below), `{host, account}`, or quick picks. */
export async function resolveAccount(services: Services, arg: unknown, title: string): Promise<{ host: string; account: string } | undefined> {
  if (isRecord(arg) && typeof arg.host === 'string' && typeof arg.account === 'string') return { host: arg.host, account: arg.account };
  const an = accountNodeOf(arg as MailopsNode | undefined);
  if (an) return { host: an.hostName, account: an.account };
  const host = await resolveHost(services, arg, title);
  if (!host) return undefined;
  const node = services.hostsProvider.hostNode(host);
  let names: string[] = [];
  try {
    names = node ? await node.accountNames() : [];
  } catch {
    names = [];
  }
  if (names.length > 0) {
    const pick = await vscode.window.showQuickPick(names, { title, placeHolder: vscode.l10n.t('Which account of {0}?', host) });
    return pick === undefined ? undefined : { host, account: pick };
  }
  const account = await vscode.window.showInputBox({ title, prompt: vscode.l10n.t('Account on {0}', host), ignoreFocusOut: true });
  return account ? { host, account } : undefined;
}

/** A destructive action: a modal with the action, "Dry Run" and Cancel. Resolves the choice. */
export async function confirmDestructive(question: string, detail: string, action: string): Promise<'run' | 'dry-run' | undefined> {
  const dry = vscode.l10n.t('Dry Run');
  const answer = await vscode.window.showWarningMessage(question, { modal: true, detail }, action, dry);
  return answer === action ? 'run' : answer === dry ? 'dry-run' : undefined;
}

/**
 * Start a task and redraw `refresh` (a tree node) when it ends. Resolves with the execution, or with the
 * exit code when `wait` is set (tests and callers that chain).
 */
export async function startTask(services: Services, def: MailopsTaskDefinition, refresh?: MailopsNode): Promise<vscode.TaskExecution> {
  const execution = await needTasks(services).run(def);
  if (refresh) {
    const sub = vscode.tasks.onDidEndTaskProcess((e) => {
      if (e.execution !== execution && e.execution.task.name !== execution.task.name) return;
      sub.dispose();
      services.hostsProvider.refreshNode(refresh);
    });
    services.context.subscriptions.push(sub);
  }
  return execution;
}
