/**
 * The webview's translations: VS Code's recommended way for webviews is @vscode/l10n fed with the extension's
 * bundle (`vscode.l10n.bundle`). The panel writes that bundle into the page (src/extension/preview/html.ts, a data
 * attribute of <mailops-restore-preview>); this module hands it to @vscode/l10n when it is evaluated, which
 * main.ts makes happen before any element renders. Without a bundle (English) l10n.t returns its message.
 */
import * as l10n from '@vscode/l10n';
import { PREVIEW_L10N_ATTRIBUTE } from '../src/shared/previewProtocol';

function isBundle(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

/** Loads the bundle the page carries, if any; a malformed one is reported and English is used. */
export function configureL10n(doc: Document): void {
  const raw = doc.querySelector('mailops-restore-preview')?.getAttribute(PREVIEW_L10N_ATTRIBUTE);
  if (!raw) return;
  try {
    const contents: unknown = JSON.parse(raw);
    if (!isBundle(contents)) throw new Error('not an object of strings');
    l10n.config({ contents });
  } catch (error) {
    console.warn(`restore preview: the l10n bundle cannot be used (${error instanceof Error ? error.message : String(error)}); showing English`);
  }
}

configureL10n(document);
