/**
 * The restore preview's HTML page. Pure (no vscode import) so the browser tests serve the very same page.
 *
 * The Content-Security-Policy allows: scripts only with this page's nonce (the bundle), styles from the
 * extension's files (codicons) or with the nonce, fonts from the extension, images from the extension or data:
 * URLs; nothing else (default-src 'none'): no remote content, no frames, no connections, no inline handlers.
 */
import { randomBytes } from 'node:crypto';
import { PREVIEW_L10N_ATTRIBUTE } from '../../shared/previewProtocol';

export interface PreviewPageOptions {
  /** `webview.cspSource`. */
  readonly cspSource: string;
  /** `webview.asWebviewUri(dist/webview.js)`, as a string. */
  readonly scriptUri: string;
  /** `webview.asWebviewUri(dist/codicons/codicon.css)`, as a string. */
  readonly codiconsUri: string;
  readonly nonce: string;
  /** Window title of the page (the tab title is the panel's). */
  readonly title: string;
  /** `vscode.env.language`, for the lang attribute. */
  readonly lang?: string;
  /**
   * `vscode.l10n.bundle`: the extension's translations for the current language (undefined in English). The page
   * carries it in a data attribute (inert text: no script, no CSP exception) and the webview hands it to
   * @vscode/l10n before its first render (webview/l10n.ts).
   */
  readonly l10n?: Readonly<Record<string, string>>;
}


/** 128 random bits, base64: a fresh one for every page the panel renders. */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

const attr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-src 'none'",
  ].join('; ');
}

export function previewPageHtml(o: PreviewPageOptions): string {
  if (!/^[A-Za-z0-9+/=]{16,}$/.test(o.nonce)) throw new Error('previewPageHtml: the nonce must be base64 with at least 16 characters');
  return `<!DOCTYPE html>
<html lang="${attr(o.lang ?? 'en')}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(o.cspSource, o.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" id="vscode-codicon-stylesheet" href="${attr(o.codiconsUri)}" nonce="${attr(o.nonce)}">
<title>${attr(o.title)}</title>
</head>
<body>
<mailops-restore-preview${o.l10n ? ` ${PREVIEW_L10N_ATTRIBUTE}="${attr(JSON.stringify(o.l10n))}"` : ''}></mailops-restore-preview>
<script type="module" nonce="${attr(o.nonce)}" src="${attr(o.scriptUri)}"></script>
</body>
</html>
`;
}
