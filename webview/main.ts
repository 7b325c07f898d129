/**
 * Entry of the restore preview webview (bundled by scripts/build.mjs into dist/webview.js). The page's HTML
 * (src/extension/preview/html.ts) holds a <mailops-restore-preview> element; defining it starts the app, which
 * posts `ready` to the extension.
 */
import './app';

if (!document.querySelector('mailops-restore-preview')) document.body.append(document.createElement('mailops-restore-preview'));
