/**
 * The restore preview webview panel: one per origin (host, account, source). Renders the nonce-CSP page
 * (html.ts), routes the webview's messages through PreviewRouter (which validates each one), runs a confirmed
 * restore as a `mailops` task (its progress streams in the task terminal, the webview gets progress and the
 * verified result), and is revived after a window reload by the serializer registered in index.ts.
 */
import * as vscode from 'vscode';
import { PREVIEW_VIEW_TYPE, describeTarget, type PreviewOrigin, type RestoreOutcome, type RestoreTarget } from '../../shared/previewProtocol';
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

export class RestorePreviewPanel implements vscode.Disposable {
  private static readonly open = new Map<string, RestorePreviewPanel>();

  /** Reveals the panel for this origin, or opens a new one with a source from `makeSource`. */
  static async show(extensionUri: vscode.Uri, origin: PreviewOrigin, makeSource: () => Promise<PreviewDataSource>, tasks?: PreviewTaskRunner): Promise<RestorePreviewPanel> {
    const existing = RestorePreviewPanel.open.get(originKey(origin));
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const source = await makeSource();
    const panel = vscode.window.createWebviewPanel(PREVIEW_VIEW_TYPE, RestorePreviewPanel.title(origin), vscode.ViewColumn.Active, panelOptions(extensionUri));
    return new RestorePreviewPanel(panel, extensionUri, source, tasks);
  }

  /** After a window reload: the serializer hands back the panel; the webview's saved state names the origin. */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, source: PreviewDataSource, tasks?: PreviewTaskRunner): RestorePreviewPanel {
    panel.webview.options = panelOptions(extensionUri);
    return new RestorePreviewPanel(panel, extensionUri, source, tasks);
  }

  /** The open panels (tests and diagnostics). */
  static panels(): readonly RestorePreviewPanel[] {
    return [...RestorePreviewPanel.open.values()];
  }

  private static title(o: PreviewOrigin): string {
    return o.engine === 'cyrus' ? vscode.l10n.t('Unexpunge {0} on {1}', o.account, o.host) : vscode.l10n.t('Restore {0} on {1}', o.account, o.host);
  }

  private readonly disposables: vscode.Disposable[] = [];
  private readonly router: PreviewRouter;
  readonly key: string;

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    readonly source: PreviewDataSource,
    tasks?: PreviewTaskRunner,
  ) {
    this.key = originKey(source.origin);
    RestorePreviewPanel.open.get(this.key)?.dispose();
    RestorePreviewPanel.open.set(this.key, this);
    panel.title = RestorePreviewPanel.title(source.origin);
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'mailops-icon.svg');
    const log = getLog();
    this.router = new PreviewRouter(source, {
      post: async (m) => {
        try {
          return await panel.webview.postMessage(m);
        } catch {
          return false; // the panel was closed meanwhile
        }
      },
      confirm: (count, target) => this.confirm(count, target),
      log: (level, message) => log[level](message),
      t: (message, ...args) => vscode.l10n.t(message, ...args),
      ...(tasks ? { runRestore: (count, target, work) => this.runRestoreTask(tasks, count, target, work) } : {}),
    });
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m: unknown) => void this.router.receive(m)),
      panel.onDidDispose(() => this.dispose()),
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
    });
  }

  /** The restore as a task named like the others (restore / unexpunge on HOST ACCOUNT), ending with the verification. */
  private runRestoreTask(
    tasks: PreviewTaskRunner,
    count: number,
    target: RestoreTarget,
    work: (line: (text: string) => void, signal: AbortSignal) => Promise<RestoreOutcome>,
  ): Promise<RestoreOutcome> {
    const o = this.source.origin;
    const def: MailopsTaskDefinition = {
      type: 'mailops',
      action: o.engine === 'cyrus' ? 'unexpunge' : 'restore',
      host: o.host,
      account: o.account,
      source: o.source,
      ...(target.kind === 'folder' ? { to: target.folder } : {}),
    };
    return tasks.runInTask(def, async (out, signal) => {
      out.line(vscode.l10n.t('{0} message(s) chosen in the restore preview, from {1}, into {2}', count, o.source, describeTarget(target)));
      out.progress(vscode.l10n.t('restoring'));
      const r = await work((text) => out.line(text), signal);
      out.line(vscode.l10n.t('restored {0}, skipped {1} (already present), failed {2}; verification: {3} looked for, {4} missing', r.restored, r.skipped, r.failed, r.verify.checked, r.verify.missing));
      for (const id of r.verify.missingIds ?? []) out.problem('error', vscode.l10n.t('{0} was not found in {1} after the restore', id, r.target), 'restore-not-confirmed');
      const ok = r.failed === 0 && r.verify.missing === 0;
      return {
        value: r,
        outcome: {
          code: ok ? 0 : 1,
          summary: ok
            ? vscode.l10n.t('OK (exit 0): {0} message(s) restored into {1}, all found there', r.restored, r.target)
            : vscode.l10n.t('FAILED (exit 1): {0} failed, {1} not found in {2} after the restore', r.failed, r.verify.missing, r.target),
        },
      };
    });
  }

  private async confirm(count: number, target: RestoreTarget): Promise<boolean> {
    const o = this.source.origin;
    const go = vscode.l10n.t('Restore');
    const answer = await vscode.window.showWarningMessage(
      vscode.l10n.t('Restore {0} messages of {1} on {2}?', count, o.account, o.host),
      {
        modal: true,
        detail:
          target.kind === 'original'
            ? vscode.l10n.t('They go back into the folders they came from. Messages already present are skipped.')
            : vscode.l10n.t('They go into {0}. Messages already present are skipped.', describeTarget(target)),
      },
      go,
    );
    return answer === go;
  }

  dispose(): void {
    if (RestorePreviewPanel.open.get(this.key) === this) RestorePreviewPanel.open.delete(this.key);
    this.router.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
