/**
 * The log commands:
 *   mailops.logs.open           pick a host (or take it from a Hosts-view node), then one of its logs (or a path)
 *   mailops.logs.loadMore       prepend the previous window of the active log, keeping the cursor on its line
 *   mailops.logs.toggleFollow   follow / stop following the active log
 *   mailops.logs.backupAccount  "Back up ACCOUNT again" (CodeLens, hover, quick fix): runs mailops.backup.run
 */
import * as vscode from 'vscode';
import type { HostConfig } from '../../core/hosts/model';
import { discoverLogs, type DiscoveredLog, type LogKind } from '../../core/logs/discover';
import { formatBytes } from '../../core/logs/range';
import { getLog } from '../log';
import type { LogFileSystemProvider } from './fileSystemProvider';
import type { HostContexts } from './hosts';
import { BACKUP_AGAIN_COMMAND, type BackupAgainArgs } from './language';
import { LOG_LANGUAGE, LOG_SCHEME, logUri } from './uri';

export const OPEN_COMMAND = 'mailops.logs.open';
export const LOAD_MORE_COMMAND = 'mailops.logs.loadMore';
export const TOGGLE_FOLLOW_COMMAND = 'mailops.logs.toggleFollow';
export const BACKUP_RUN_COMMAND = 'mailops.backup.run';

/** Open a remote log in an editor, with the mailops-log language (the built-in "log" language claims *.log). */
export async function openLog(host: string, path: string): Promise<vscode.TextEditor> {
  let doc = await vscode.workspace.openTextDocument(logUri(host, path));
  if (doc.languageId !== LOG_LANGUAGE) doc = await vscode.languages.setTextDocumentLanguage(doc, LOG_LANGUAGE);
  const editor = await vscode.window.showTextDocument(doc, { preview: false });
  const last = Math.max(0, doc.lineCount - 1);
  editor.selection = new vscode.Selection(last, 0, last, 0);
  editor.revealRange(new vscode.Range(last, 0, last, 0), vscode.TextEditorRevealType.Default);
  return editor;
}

function kindLabel(kind: LogKind): string {
  switch (kind) {
    case 'run-dovecot':
      return vscode.l10n.t('Mailops run logs (Dovecot)');
    case 'run-cyrus':
      return vscode.l10n.t('Mailops run logs (Cyrus)');
    case 'dovecot':
      return vscode.l10n.t('Dovecot logs');
    case 'mail':
      return vscode.l10n.t('Mail syslog');
  }
}

/** A host name from the command's argument (a Hosts-view node or a name) or from a quick pick. */
async function pickHost(hosts: HostContexts, arg: unknown): Promise<HostConfig | undefined> {
  const all = hosts.hosts();
  const named = typeof arg === 'string' ? arg : typeof arg === 'object' && arg !== null && 'host' in arg ? (arg as { host: unknown }).host : undefined;
  const name = typeof named === 'string' ? named : typeof named === 'object' && named !== null && 'name' in named ? (named as { name: unknown }).name : undefined;
  if (typeof name === 'string') return all.find((h) => h.name === name);
  if (all.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No mail hosts are configured. Add one in the Mailops Hosts view first.'));
    return undefined;
  }
  if (all.length === 1) return all[0];
  const pick = await vscode.window.showQuickPick(
    all.map((h) => ({ label: h.name, description: h.server, host: h })),
    { title: vscode.l10n.t('Open Remote Log: host'), placeHolder: vscode.l10n.t('Which host?') },
  );
  return pick?.host;
}

type LogPick = vscode.QuickPickItem & { path?: string; other?: boolean };

export function registerLogCommands(fs: LogFileSystemProvider, hosts: HostContexts): vscode.Disposable[] {
  const open = async (arg?: unknown) => {
    const host = await pickHost(hosts, arg);
    if (!host) return;
    const ctx = hosts.get(host.name);
    const logs = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Listing the logs of {0}…', host.name), cancellable: true },
      async (_p, token) => {
        const ac = new AbortController();
        token.onCancellationRequested(() => ac.abort());
        return discoverLogs(ctx, ac.signal);
      },
    );
    const items: LogPick[] = [];
    let lastKind: LogKind | undefined;
    for (const log of logs) {
      if (log.kind !== lastKind) {
        items.push({ label: kindLabel(log.kind), kind: vscode.QuickPickItemKind.Separator });
        lastKind = log.kind;
      }
      items.push(logItem(log));
    }
    items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, { label: `$(go-to-file) ${vscode.l10n.t('Another file on {0}…', host.name)}`, other: true });
    const pick = await vscode.window.showQuickPick(items, {
      title: vscode.l10n.t('Open Remote Log: {0}', host.name),
      placeHolder: logs.length ? vscode.l10n.t('Newest first') : vscode.l10n.t('No logs found in the usual places'),
      matchOnDescription: true,
      matchOnDetail: true,
    });
    if (!pick) return;
    let path = pick.path;
    if (pick.other) {
      path = await vscode.window.showInputBox({
        title: vscode.l10n.t('Open Remote Log: {0}', host.name),
        prompt: vscode.l10n.t('Absolute path of a log file on the host'),
        validateInput: (v) => (v.startsWith('/') ? undefined : vscode.l10n.t('An absolute path, starting with /')),
      });
    }
    if (path) await openLog(host.name, path);
  };

  const activeLogUri = (arg: unknown): vscode.Uri | undefined => {
    if (arg instanceof vscode.Uri && arg.scheme === LOG_SCHEME) return arg;
    const uri = vscode.window.activeTextEditor?.document.uri;
    if (uri?.scheme === LOG_SCHEME) return uri;
    void vscode.window.showInformationMessage(vscode.l10n.t('Open a remote log first ("Mailops: Open Remote Log…").'));
    return undefined;
  };

  const loadMore = async (arg?: unknown) => {
    const uri = activeLogUri(arg);
    if (!uri) return;
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
    const before = editor?.selection;
    const top = editor?.visibleRanges[0]?.start.line;
    const reloaded = editor ? waitForReload(editor.document) : Promise.resolve();
    const added = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Loading more of the log…') }, () => fs.loadMore(uri));
    if (added === 0) {
      if (fs.info(uri)?.start === 0) void vscode.window.setStatusBarMessage(vscode.l10n.t('The whole log is shown.'), 3000);
      return;
    }
    if (!editor || !before) return;
    // The editor reloads the document after the change event: then move the cursor by the added lines.
    await reloaded;
    const shift = (p: vscode.Position) => new vscode.Position(p.line + added, p.character);
    editor.selection = new vscode.Selection(shift(before.anchor), shift(before.active));
    editor.revealRange(new vscode.Range((top ?? before.active.line) + added, 0, (top ?? before.active.line) + added, 0), vscode.TextEditorRevealType.AtTop);
  };

  const toggleFollow = async (arg?: unknown) => {
    const uri = activeLogUri(arg);
    if (!uri) return;
    if (fs.isFollowing(uri)) {
      fs.stopFollowing(uri);
      void vscode.window.setStatusBarMessage(vscode.l10n.t('Stopped following {0}', uri.path), 3000);
    } else {
      await fs.startFollowing(uri);
      void vscode.window.setStatusBarMessage(vscode.l10n.t('Following {0}', uri.path), 3000);
    }
  };

  const backupAgain = async (arg?: unknown) => {
    const a = arg as Partial<BackupAgainArgs> | undefined;
    if (!a || typeof a.host !== 'string' || typeof a.account !== 'string') return;
    const registered = await vscode.commands.getCommands(true);
    if (!registered.includes(BACKUP_RUN_COMMAND)) {
      getLog().warn(`logs: ${BACKUP_RUN_COMMAND} is not available; cannot back up ${a.account} on ${a.host}`);
      void vscode.window.showWarningMessage(
        vscode.l10n.t('Backing up from the editor is not available in this version of Mailops (command {0} is missing). Run "mailops backup {1} --host {2}" in a terminal instead.', BACKUP_RUN_COMMAND, a.account, a.host),
      );
      return;
    }
    await vscode.commands.executeCommand(BACKUP_RUN_COMMAND, { host: a.host, account: a.account });
  };

  return [
    vscode.commands.registerCommand(OPEN_COMMAND, guarded(OPEN_COMMAND, open)),
    vscode.commands.registerCommand(LOAD_MORE_COMMAND, guarded(LOAD_MORE_COMMAND, loadMore)),
    vscode.commands.registerCommand(TOGGLE_FOLLOW_COMMAND, guarded(TOGGLE_FOLLOW_COMMAND, toggleFollow)),
    vscode.commands.registerCommand(BACKUP_AGAIN_COMMAND, guarded(BACKUP_AGAIN_COMMAND, backupAgain)),
  ];
}

function logItem(log: DiscoveredLog): LogPick {
  const when = new Date(log.mtimeMs).toLocaleString();
  return {
    label: log.path.split('/').pop() ?? log.path,
    description: log.account !== undefined ? log.account : log.path,
    detail: `${formatBytes(log.size)} · ${when}${log.account !== undefined ? ` · ${log.path}` : ''}`,
    path: log.path,
  };
}

/** Resolves once the document's text changed (the editor reloaded it), or after 5 s. */
function waitForReload(doc: vscode.TextDocument): Promise<void> {
  return new Promise((resolve) => {
    const sub = vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document === doc) done();
    });
    const timer = setTimeout(done, 5000);
    function done() {
      clearTimeout(timer);
      sub.dispose();
      resolve();
    }
  });
}

/** One error message naming what to do, the details in the log. */
function guarded(id: string, fn: (arg?: unknown) => Promise<void>): (arg?: unknown) => Promise<void> {
  return async (arg?: unknown) => {
    try {
      await fn(arg);
    } catch (error) {
      getLog().error(`${id}: ${error instanceof Error ? error.message : String(error)}`);
      const summary = error instanceof Error ? error.message.split('\n')[0]! : String(error);
      const show = vscode.l10n.t('Show Log');
      void vscode.window.showErrorMessage(summary, show).then((a) => {
        if (a === show) getLog().show();
      });
    }
  };
}
