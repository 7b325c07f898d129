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
  // Disposed here only when created here (a shared pool is disposed by its owner).
  if (!deps.hosts) context.subscriptions.push(hosts);
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

  // While following, an editor whose cursor was on the last line stays on the last line (like tail -f).
  const lineCounts = new Map<string, number>();
  const keepAtEnd = (ev: vscode.TextDocumentChangeEvent) => {
    const doc = ev.document;
    if (doc.uri.scheme !== LOG_SCHEME) return;
    const key = doc.uri.toString();
    const previous = lineCounts.get(key) ?? doc.lineCount;
    lineCounts.set(key, doc.lineCount);
    if (!fileSystem.isFollowing(doc.uri) || doc.lineCount <= previous) return;
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document !== doc || editor.selection.active.line < previous - 2) continue;
      const end = new vscode.Position(doc.lineCount - 1, 0);
      editor.selection = new vscode.Selection(end, end);
      editor.revealRange(new vscode.Range(end, end));
    }
  };

  context.subscriptions.push(
    fileSystem,
    vscode.workspace.registerFileSystemProvider(LOG_SCHEME, fileSystem, { isReadonly: true, isCaseSensitive: true }),
    ...registerLanguageFeatures(explainer),
    ...registerLogCommands(fileSystem, hosts),
    vscode.workspace.onDidOpenTextDocument(onOpen),
    vscode.workspace.onDidCloseTextDocument(onClose),
    vscode.workspace.onDidChangeTextDocument(keepAtEnd),
    vscode.workspace.onDidOpenTextDocument((d) => d.uri.scheme === LOG_SCHEME && lineCounts.set(d.uri.toString(), d.lineCount)),
    vscode.window.onDidChangeActiveTextEditor(syncFollowingKey),
    fileSystem.onDidChangeFollowing(syncFollowingKey),
  );
  return { fileSystem };
}
