/**
 * The restore preview webview panel: one per origin (host, account, source). Renders the nonce-CSP page
 * (html.ts) with the extension's l10n bundle for the webview's strings, routes the webview's messages through
 * PreviewRouter (which validates each one), asks before a restore with exactly where the mail goes, runs a
 * confirmed restore as a `mailops` task (its progress streams in the task terminal, the webview gets progress and
 * the verified result), publishes it (events.ts) and reloads on restores into the same account, and is revived
 * after a window reload by the serializer registered in index.ts.
 */
import * as vscode from 'vscode';
import { PREVIEW_VIEW_TYPE, sourceName, type PreviewOrigin, type RestoreOutcome, type RestoreSummary } from '../../shared/previewProtocol';
import { mailopsEvents, type MailopsEvents } from '../events';
import { getLog } from '../log';
import type { MailopsTaskDefinition } from '../tasks/definition';
import type { TaskWork } from '../tasks/provider';
import type { PreviewDataSource } from './dataSource';
import { makeNonce, previewPageHtml } from './html';
import { PreviewRouter } from './router';

/** Runs work as a `mailops` task (MailopsTasks.runInTask). */
export interface PreviewTaskRunner {
  runInTask<T>(def: MailopsTaskDefinition, work: TaskWork<T>): Promise<T>;
}

export function originKey(o: PreviewOrigin): string {
  return JSON.stringify([o.engine, o.host, o.account, o.source]);
}

export function panelOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    enableForms: false,
    // State lives in the webview (vscode.setState) and the plan is re-sent on `ready`: no hidden context kept.
    retainContextWhenHidden: false,
    enableFindWidget: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

/** The set a preview reads, as a title names it: "the mirror", "archive 2026…", "expunged mail". */
function setTitle(o: PreviewOrigin): string {
  const s = sourceName(o.source);
  switch (s.kind) {
    case 'mirror':
      return vscode.l10n.t('mirror');
    case 'archive':
      return vscode.l10n.t('archive {0}', s.id);
    case 'expunged':
      return vscode.l10n.t('expunged');
    case 'other':
      return s.name;
  }
}

/** The set in a sentence: "… from the mirror", "… from archive point 2026…", "… from expunged mail". */
function setPhrase(o: PreviewOrigin): string {
  const s = sourceName(o.source);
  switch (s.kind) {
    case 'mirror':
      return vscode.l10n.t('the mirror');
    case 'archive':
      return vscode.l10n.t('archive point {0}', s.id);
    case 'expunged':
      return vscode.l10n.t('expunged mail');
    case 'other':
      return s.name;
  }
}

/** At most this many destination folders are listed in the confirmation (the rest are counted). */
const CONFIRM_FOLDERS = 8;

export interface PanelOptions {
  readonly tasks?: PreviewTaskRunner;
  /** Where restores are published and heard (default: the extension's one hub). */
  readonly events?: MailopsEvents;
}

export class RestorePreviewPanel implements vscode.Disposable {
  private static readonly open = new Map<string, RestorePreviewPanel>();

  /** Reveals the panel for this origin, or opens a new one with a source from `makeSource`. */
  static async show(extensionUri: vscode.Uri, origin: PreviewOrigin, makeSource: () => Promise<PreviewDataSource>, options: PanelOptions = {}): Promise<RestorePreviewPanel> {
    const existing = RestorePreviewPanel.open.get(originKey(origin));
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const source = await makeSource();
    const panel = vscode.window.createWebviewPanel(PREVIEW_VIEW_TYPE, RestorePreviewPanel.title(origin), vscode.ViewColumn.Active, panelOptions(extensionUri));
    return new RestorePreviewPanel(panel, extensionUri, source, options);
  }

  /** After a window reload: the serializer hands back the panel; the webview's saved state names the origin. */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, source: PreviewDataSource, options: PanelOptions = {}): RestorePreviewPanel {
    panel.webview.options = panelOptions(extensionUri);
    return new RestorePreviewPanel(panel, extensionUri, source, options);
  }

  /** The open panels (tests and diagnostics). */
  static panels(): readonly RestorePreviewPanel[] {
    return [...RestorePreviewPanel.open.values()];
  }

  /** The tab's title names the account, the host and the set, so that two previews of one account differ. */
  static title(o: PreviewOrigin): string {
    return o.engine === 'cyrus'
      ? vscode.l10n.t('Unexpunge {0} on {1}: {2}', o.account, o.host, setTitle(o))
      : vscode.l10n.t('Restore {0} on {1}: {2}', o.account, o.host, setTitle(o));
  }

  private readonly disposables: vscode.Disposable[] = [];
  private readonly router: PreviewRouter;
  readonly key: string;

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    readonly source: PreviewDataSource,
    options: PanelOptions,
  ) {
    this.key = originKey(source.origin);
    RestorePreviewPanel.open.get(this.key)?.dispose();
    RestorePreviewPanel.open.set(this.key, this);
    panel.title = RestorePreviewPanel.title(source.origin);
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'mailops-icon.svg');
    const log = getLog();
    const events = options.events ?? mailopsEvents;
    const tasks = options.tasks;
    const o = source.origin;
    this.router = new PreviewRouter(source, {
      post: async (m) => {
        try {
          return await panel.webview.postMessage(m);
        } catch {
          return false; // the panel was closed meanwhile
        }
      },
      confirm: (summary) => this.confirm(summary),
      log: (level, message) => log[level](message),
      t: (message, ...args) => vscode.l10n.t(message, ...args),
      ...(tasks ? { runRestore: (summary, work) => this.runRestoreTask(tasks, summary, work) } : {}),
      restored: (summary) =>
        events.fireRestored({ host: o.host, account: o.account, engine: o.engine, source: o.source, folders: summary.destinations.map((d) => d.folder), by: this.key }),
    });
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m: unknown) => void this.router.receive(m)),
      panel.onDidDispose(() => this.dispose()),
      // A restore into this account from elsewhere (another preview of it): what is already there changed.
      events.onDidRestore((e) => {
        if (e.by !== this.key && e.host === o.host && e.account === o.account) void this.router.load();
      }),
    );
    panel.webview.html = this.html();
  }

  private html(): string {
    const webview = this.panel.webview;
    return previewPageHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview.js')).toString(),
      codiconsUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'codicons', 'codicon.css')).toString(),
      nonce: makeNonce(),
      title: this.panel.title,
      lang: vscode.env.language,
      // The extension's translations for the current language (undefined in English): the webview's @vscode/l10n
      // reads its strings from the same bundle as vscode.l10n.t.
      l10n: vscode.l10n.bundle,
    });
  }

  /** The restore as a task named like the others (restore / unexpunge on HOST ACCOUNT), ending with the verification. */
  private runRestoreTask(
    tasks: PreviewTaskRunner,
    summary: RestoreSummary,
    work: (line: (text: string) => void, signal: AbortSignal) => Promise<RestoreOutcome>,
  ): Promise<RestoreOutcome> {
    const o = this.source.origin;
    const target = summary.target;
    const def: MailopsTaskDefinition = {
      type: 'mailops',
      action: o.engine === 'cyrus' ? 'unexpunge' : 'restore',
      host: o.host,
      account: o.account,
      source: o.source,
      ...(target.kind === 'folder' ? { to: target.folder } : {}),
    };
    return tasks.runInTask(def, async (out, signal) => {
      out.line(
        summary.messages === 1
          ? vscode.l10n.t('1 message chosen in the restore preview, from {0}', o.source)
          : vscode.l10n.t('{0} messages chosen in the restore preview, from {1}', summary.messages, o.source),
      );
      for (const d of summary.destinations) out.line(vscode.l10n.t('  into {0}: {1}', d.folder, d.messages));
      out.progress(vscode.l10n.t('restoring'));
      const r = await work((text) => out.line(text), signal);
      out.line(vscode.l10n.t('restored {0}, skipped {1} (already present), failed {2}; verification: {3} looked for, {4} missing', r.restored, r.skipped, r.failed, r.verify.checked, r.verify.missing));
      for (const id of r.verify.missingIds ?? []) out.problem('error', vscode.l10n.t('{0} was not found after the restore', id), 'restore-not-confirmed');
      const ok = r.failed === 0 && r.verify.missing === 0;
      const where = r.destinations.map((d) => d.folder).join(', ') || (r.target.kind === 'folder' ? r.target.folder : vscode.l10n.t('the original folders'));
      return {
        value: r,
        outcome: {
          code: ok ? 0 : 1,
          summary: ok
            ? r.restored === 1
              ? vscode.l10n.t('OK (exit 0): 1 message restored into {0}, found there', where)
              : vscode.l10n.t('OK (exit 0): {0} messages restored into {1}, all found there', r.restored, where)
            : vscode.l10n.t('FAILED (exit 1): {0} failed, {1} not found in {2} after the restore', r.failed, r.verify.missing, where),
        },
      };
    });
  }

  /** The modal question, saying exactly which live folders receive how many messages (from the fresh plan). */
  private async confirm(s: RestoreSummary): Promise<boolean> {
    const o = this.source.origin;
    const go = o.engine === 'cyrus' ? vscode.l10n.t('Unexpunge') : vscode.l10n.t('Restore');
    const question =
      s.messages === 1
        ? vscode.l10n.t('Restore 1 message of {0} on {1} from {2}?', o.account, o.host, setPhrase(o))
        : vscode.l10n.t('Restore {0} messages of {1} on {2} from {3}?', s.messages, o.account, o.host, setPhrase(o));
    const lines: string[] = [];
    if (s.target.kind === 'folder') lines.push(vscode.l10n.t('Into the folder {0}, which is created when it does not exist:', s.target.folder));
    else lines.push(o.engine === 'cyrus' ? vscode.l10n.t('Back into the mailboxes they were expunged from:') : vscode.l10n.t('Back into these folders:'));
    for (const d of s.destinations.slice(0, CONFIRM_FOLDERS)) {
      lines.push(d.messages === 1 ? vscode.l10n.t('• {0}: 1 message', d.folder) : vscode.l10n.t('• {0}: {1} messages', d.folder, d.messages));
    }
    const more = s.destinations.length - CONFIRM_FOLDERS;
    if (more > 0) lines.push(more === 1 ? vscode.l10n.t('• and 1 more folder') : vscode.l10n.t('• and {0} more folders', more));
    if (s.skipped > 0) {
      lines.push(s.skipped === 1 ? vscode.l10n.t('1 chosen message is already in the account and is skipped.') : vscode.l10n.t('{0} chosen messages are already in the account and are skipped.', s.skipped));
    }
    const answer = await vscode.window.showWarningMessage(question, { modal: true, detail: lines.join('\n') }, go);
    return answer === go;
  }

  dispose(): void {
    if (RestorePreviewPanel.open.get(this.key) === this) RestorePreviewPanel.open.delete(this.key);
    this.router.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
