/**
 * The restore preview webview panel: one per origin (host, account, source). Renders the nonce-CSP page
 * (html.ts), routes the webview's messages through PreviewRouter (which validates each one), and is revived
 * after a window reload by the serializer registered in index.ts.
 */
import * as vscode from 'vscode';
import { PREVIEW_VIEW_TYPE, describeTarget, type PreviewOrigin, type RestoreTarget } from '../../shared/previewProtocol';
import { getLog } from '../log';
import type { PreviewDataSource } from './dataSource';
import { makeNonce, previewPageHtml } from './html';
import { PreviewRouter } from './router';

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
  static async show(extensionUri: vscode.Uri, origin: PreviewOrigin, makeSource: () => Promise<PreviewDataSource>): Promise<RestorePreviewPanel> {
    const existing = RestorePreviewPanel.open.get(originKey(origin));
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const source = await makeSource();
    const panel = vscode.window.createWebviewPanel(PREVIEW_VIEW_TYPE, RestorePreviewPanel.title(origin), vscode.ViewColumn.Active, panelOptions(extensionUri));
    return new RestorePreviewPanel(panel, extensionUri, source);
  }

  /** After a window reload: the serializer hands back the panel; the webview's saved state names the origin. */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, source: PreviewDataSource): RestorePreviewPanel {
    panel.webview.options = panelOptions(extensionUri);
    return new RestorePreviewPanel(panel, extensionUri, source);
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
