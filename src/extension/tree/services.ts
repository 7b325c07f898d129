/** What tree nodes need from the extension: host contexts, redraws, settings. */
import * as vscode from 'vscode';
import type { Connections } from '../hosts/connections';
import type { MailopsNode } from './node';

export interface TreeServices {
  readonly connections: Connections;
  /** Redraw a node (its children are loaded again) or the whole tree. */
  refresh(node?: MailopsNode): void;
}

/** How many accounts (and messages) a list shows before its "Show more…" item (mailops.tree.pageSize). */
export function pageSize(): number {
  const n = vscode.workspace.getConfiguration('mailops').get<number>('tree.pageSize', 200);
  return Number.isInteger(n) && n >= 10 ? n : 200;
}

/** How many messages a folder's "Messages" item lists at first (mailops.tree.messagesPageSize). */
export function messagesPageSize(): number {
  const n = vscode.workspace.getConfiguration('mailops').get<number>('tree.messagesPageSize', 50);
  return Number.isInteger(n) && n >= 1 ? n : 50;
}
