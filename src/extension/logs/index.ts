/**
 * Remote logs in the editor: the `mailops-log` file system (read-only), its language features and commands.
 * One entry point, called from activate().
 */
import * as vscode from 'vscode';
import { classifyDsyncLine } from '../../core/dovecot/warnings';
import type { HostContext } from '../../core/hosts/context';
import type { LineClassifier } from '../../core/logs/explain';
import { registerLogCommands } from './commands';
import { LogFileSystemProvider } from './fileSystemProvider';
import { createHostContexts, type HostContexts } from './hosts';
import { LogExplainer, registerLanguageFeatures } from './language';
import { LOG_LANGUAGE, LOG_SCHEME } from './uri';

export interface LogsDeps {
  /** Judges dsync/doveadm lines; default: core/dovecot/warnings.ts. */
  classify?: LineClassifier;
  /** Host contexts by configured name; default: the mailops.hosts setting with a transport pool of its own. */
  hosts?: HostContexts;
}

/** What the tests reach through the extension's test API. */
export interface LogsApi {
  readonly fileSystem: LogFileSystemProvider;
}

const FOLLOWING_KEY = 'mailops.logs.following';

export function registerLogs(context: vscode.ExtensionContext, deps: LogsDeps = {}): LogsApi {
  const hosts = deps.hosts ?? createHostContexts(context);
  const fileSystem = new LogFileSystemProvider((name: string): HostContext => hosts.get(name));
  const explainer = new LogExplainer(deps.classify ?? classifyDsyncLine);

  const syncFollowingKey = () => {
    const uri = vscode.window.activeTextEditor?.document.uri;
    void vscode.commands.executeCommand('setContext', FOLLOWING_KEY, uri?.scheme === LOG_SCHEME && fileSystem.isFollowing(uri));
  };

  // The built-in "log" language claims *.log: documents of our scheme get ours. Closing a document forgets
  // its window (and stops following) unless it is open again shortly (a language change reopens it).
  const onOpen = (doc: vscode.TextDocument) => {
    if (doc.uri.scheme === LOG_SCHEME && doc.languageId !== LOG_LANGUAGE) void vscode.languages.setTextDocumentLanguage(doc, LOG_LANGUAGE);
  };
  const onClose = (doc: vscode.TextDocument) => {
    if (doc.uri.scheme !== LOG_SCHEME) return;
    const key = doc.uri.toString();
    setTimeout(() => {
      if (!vscode.workspace.textDocuments.some((d) => d.uri.toString() === key)) fileSystem.forget(doc.uri);
    }, 2000);
  };
  vscode.workspace.textDocuments.forEach(onOpen);

  context.subscriptions.push(
    hosts,
    fileSystem,
    vscode.workspace.registerFileSystemProvider(LOG_SCHEME, fileSystem, { isReadonly: true, isCaseSensitive: true }),
    ...registerLanguageFeatures(explainer),
    ...registerLogCommands(fileSystem, hosts),
    vscode.workspace.onDidOpenTextDocument(onOpen),
    vscode.workspace.onDidCloseTextDocument(onClose),
    vscode.window.onDidChangeActiveTextEditor(syncFollowingKey),
    fileSystem.onDidChangeFollowing(syncFollowingKey),
  );
  return { fileSystem };
}
