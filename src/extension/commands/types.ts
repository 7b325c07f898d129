/** What every command gets: the long-lived services of the extension. */
import type * as vscode from 'vscode';
import type { Connections } from '../hosts/connections';
import type { MailopsTasks } from '../tasks/provider';
import type { HostsProvider } from '../tree/hostsProvider';
import type { MailopsNode } from '../tree/node';

export interface Services {
  readonly context: vscode.ExtensionContext;
  readonly hostsProvider: HostsProvider;
  /** The Hosts view, to reveal what a command added or changed. */
  readonly hostsView: vscode.TreeView<MailopsNode>;
  /** One pooled transport per host, with the editor's prompter (absent only in old callers' tests). */
  readonly connections?: Connections;
  readonly tasks?: MailopsTasks;
}

/** One command per file under commands/<area>/<verb>.ts, listed in commands/index.ts. */
export interface CommandDefinition {
  /** `mailops.<area>.<verb>`, as contributed in package.json. */
  readonly id: string;
  run(services: Services, ...args: unknown[]): unknown;
}
