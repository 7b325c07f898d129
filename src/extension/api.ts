/**
 * What activate() returns when the extension runs under test (ExtensionMode.Test): the live providers, so the
 * real-VS-Code suites can assert on what the views show. Not an API for other extensions.
 */
import type * as vscode from 'vscode';
import type { Connections } from './hosts/connections';
import type { MailopsTasks } from './tasks/provider';
import type { HostsProvider } from './tree/hostsProvider';

export interface MailopsTestApi {
  readonly hostsProvider: HostsProvider;
  /** The last value the extension set for each of its context keys. */
  contextKeys(): Readonly<Record<string, unknown>>;
  /** The shared host connections (transports and their state). */
  readonly connections?: Connections;
  /** The mailops task type: recent runs with their transcripts and exit codes. */
  readonly tasks?: MailopsTasks;
  /** The extension's log folder (context.logUri): the "Mailops" output channel is Mailops.log in it. */
  readonly logUri: vscode.Uri;
}
