/**
 * A repository that ships `mailops.hosts` in its .vscode/settings.json (or a .code-workspace file) would,
 * if Mailops read it, choose where Mailops connects, which hooks run as root there and which IMAP address
 * receives the stored admin password. The setting is machine-scoped and readHostsSetting() reads the user
 * level only, so such a value has no effect; this guard tells the operator once per file (a warning naming
 * the file, and a line in the log), so that hosts that "do not show up" have an explanation and an attempt
 * does not go unnoticed.
 */
import * as vscode from 'vscode';
import { getLog } from '../log';
import { settingsTextDefines, workspaceFileDefines } from './jsonc';
import { HOSTS_KEY, HOSTS_SETTING, SECTION } from './settings';

/** How a file is named to the operator: its path on disk, else its URI. */
function label(uri: vscode.Uri): string {
  return uri.scheme === 'file' ? uri.fsPath : uri.toString();
}

export class WorkspaceHostsGuard implements vscode.Disposable {
  /** Files already warned about in this window (the warning is given once per file). */
  private readonly warned = new Set<string>();
  /** Files that define the setting as of the last scan. */
  private found: string[] = [];
  private readonly subscriptions: vscode.Disposable[] = [];
  private scanning: Promise<void> = Promise.resolve();

  constructor() {
    const watcher = vscode.workspace.createFileSystemWatcher('**/.vscode/settings.json');
    this.subscriptions.push(
      watcher,
      watcher.onDidCreate(() => this.rescan()),
      watcher.onDidChange(() => this.rescan()),
      watcher.onDidDelete(() => this.rescan()),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.rescan()),
      // A .code-workspace file's settings change arrives as a configuration change (other keys may change too).
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(SECTION)) this.rescan();
      }),
    );
    this.rescan();
  }

  /** The workspace files that define mailops.hosts (ignored), as of the last scan. */
  ignoredFiles(): readonly string[] {
    return this.found;
  }

  /** Wait for the scan under way (tests, and callers that want the list current). */
  async settled(): Promise<void> {
    await this.scanning;
  }

  rescan(): void {
    this.scanning = this.scanning.then(() => this.scan()).catch((e: unknown) => getLog().warn(`checking the workspace settings for ${HOSTS_SETTING}: ${String(e)}`));
  }

  private async scan(): Promise<void> {
    const candidates: Array<{ uri: vscode.Uri; isWorkspaceFile: boolean }> = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) candidates.push({ uri: vscode.Uri.joinPath(folder.uri, '.vscode', 'settings.json'), isWorkspaceFile: false });
    const wsFile = vscode.workspace.workspaceFile;
    if (wsFile && wsFile.scheme !== 'untitled') candidates.push({ uri: wsFile, isWorkspaceFile: true });
    const found: vscode.Uri[] = [];
    for (const c of candidates) {
      let text: string;
      try {
        text = new TextDecoder().decode(await vscode.workspace.fs.readFile(c.uri));
      } catch {
        continue; // no such file
      }
      const defines = c.isWorkspaceFile ? workspaceFileDefines(text, SECTION, HOSTS_KEY) : settingsTextDefines(text, SECTION, HOSTS_KEY);
      if (defines) found.push(c.uri);
    }
    this.found = found.map(label);
    for (const uri of found) {
      if (this.warned.has(label(uri))) continue;
      this.warned.add(label(uri));
      this.warn(uri);
    }
  }

  private warn(uri: vscode.Uri): void {
    const file = label(uri);
    getLog().warn(`${file} sets ${HOSTS_SETTING}: ignored. Hosts come only from your user settings (or, in a remote window, the remote machine's settings), never from a workspace.`);
    const open = vscode.l10n.t('Open the File');
    const user = vscode.l10n.t('Open My Hosts Setting');
    void vscode.window
      .showWarningMessage(
        vscode.l10n.t(
          'Mailops ignores the hosts set in {0}. A workspace cannot choose where Mailops connects or what it runs as root: hosts come only from your own user or remote settings.',
          file,
        ),
        open,
        user,
      )
      .then((choice) => {
        if (choice === open) void vscode.window.showTextDocument(uri);
        else if (choice === user) void vscode.commands.executeCommand('workbench.action.openSettings', HOSTS_SETTING);
      });
  }

  dispose(): void {
    vscode.Disposable.from(...this.subscriptions).dispose();
  }
}
