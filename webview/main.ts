/**
 * Entry of the restore preview webview (bundled by scripts/build.mjs into dist/webview.js). The page's HTML
 * (src/extension/preview/html.ts) holds a <mailops-restore-preview> element; defining it starts the app, which
 * posts `ready` to the extension. The translations are loaded first (modules run in import order), so that the
 * first render is already in the operator's language.
 */
import './l10n';
import './app';

if (!document.querySelector('mailops-restore-preview')) document.body.append(document.createElement('mailops-restore-preview'));
