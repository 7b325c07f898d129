/**
 * Browser test harness for the restore preview webview, without VS Code: bundles webview/main.ts (as the build
 * does) and the fake host shim with esbuild, serves them from a local http server on 127.0.0.1 with the same page
 * and CSP the extension renders, and drives Debian's Chromium with playwright-core (never a downloaded browser).
 */
import * as esbuild from 'esbuild';
import { createServer, type Server } from 'node:http';
import { mkdtemp, mkdir, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type ConsoleMessage, type Frame, type Page } from 'playwright-core';
import { makeNonce, previewPageHtml } from '../../src/extension/preview/html';

export const ROOT = path.resolve(__dirname, '../..');
export const SCREENSHOTS = path.join(ROOT, 'test-results/screenshots');
const CHROMIUM = process.env.MAILOPS_CHROMIUM ?? '/usr/bin/chromium';

export interface Harness {
  readonly baseUrl: string;
  /** Requests the tracking server received (path list). */
  readonly trackerHits: string[];
  readonly trackerUrl: string;
  readonly context: BrowserContext;
  /** The preview as a page of its own; `l10n`: a translation bundle the page carries (as the panel passes it). */
  openPage(opts?: { csp?: boolean; l10n?: Record<string, string> }): Promise<{ page: Page; consoleErrors: string[] }>;
  /**
   * The preview inside a window laid out like VS Code's: a `width` px window with the activity bar (48 px) and a
   * side bar of `sidebar` px on the left, the webview in an iframe taking the rest (the editor area).
   */
  openInWindow(opts: { width: number; height: number; sidebar: number }): Promise<{ page: Page; frame: Frame; consoleErrors: string[] }>;
  close(): Promise<void>;
}

/** The workbench frame around the webview in openInWindow (test-only page, no CSP of its own). */
function windowPage(sidebar: number): string {
  return `<!DOCTYPE html><html><head><meta charset="UTF-8"><title>window</title><style>
html,body{margin:0;height:100%;background:#181818;overflow:hidden}
body{display:flex}
#activitybar{width:48px;flex:none;background:#181818;border-right:1px solid #2b2b2b}
#sidebar{width:${sidebar}px;flex:none;background:#181818;border-right:1px solid #2b2b2b;color:#cccccc;font:13px system-ui;padding:8px;box-sizing:border-box}
#editor{flex:1;min-width:0;border:0;height:100%}
</style></head><body><div id="activitybar"></div><div id="sidebar" data-testid="sidebar">Side bar (${sidebar} px)</div><iframe id="editor" src="/index.html"></iframe></body></html>`;
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css', '.ttf': 'font/ttf', '.png': 'image/png' };

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

export async function startHarness(): Promise<Harness> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with \`apt-get install -y chromium\` (never \`npx playwright install\`)`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mailops-webview-'));
  const site = path.join(dir, 'site');
  await mkdir(path.join(site, 'codicons'), { recursive: true });
  await esbuild.build({ entryPoints: [path.join(ROOT, 'webview/main.ts')], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', outfile: path.join(site, 'webview.js'), sourcemap: 'inline', logLevel: 'warning' });
  await esbuild.build({ entryPoints: [path.join(ROOT, 'test/webview/fixtures/fakeHost.ts')], bundle: true, format: 'iife', platform: 'browser', target: 'es2022', outfile: path.join(site, 'shim.js'), logLevel: 'warning' });
  for (const f of ['codicon.css', 'codicon.ttf']) await copyFile(path.join(ROOT, 'node_modules/@vscode/codicons/dist', f), path.join(site, 'codicons', f));

  const trackerHits: string[] = [];
  const tracker = createServer((req, res) => {
    trackerHits.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'image/png' }).end();
  });
  const trackerPort = await listen(tracker);

  /** Translation bundles by token (openPage's `l10n`: /index.html?l10n=TOKEN carries it). */
  const bundles = new Map<string, Record<string, string>>();
  // Pages are generated per request: /index.html (with CSP) or /nocsp.html (sanitiser alone, no CSP behind it).
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      if (url.pathname === '/favicon.ico') {
        res.writeHead(204).end();
        return;
      }
      if (url.pathname === '/window.html') {
        res.writeHead(200, { 'content-type': TYPES['.html'], 'cache-control': 'no-store' }).end(windowPage(Number(url.searchParams.get('sidebar') ?? 300)));
        return;
      }
      if (url.pathname === '/index.html' || url.pathname === '/nocsp.html') {
        const nonce = makeNonce();
        const l10n = bundles.get(url.searchParams.get('l10n') ?? '');
        let page = previewPageHtml({ cspSource: origin, scriptUri: `${origin}/webview.js`, codiconsUri: `${origin}/codicons/codicon.css`, nonce, title: 'Restore preview (test)', ...(l10n ? { l10n } : {}) });
        // The fake VS Code API goes in before the bundle, with the page's nonce (test harness only).
        page = page.replace('<script type="module"', `<script nonce="${nonce}" src="${origin}/shim.js"></script>\n<script type="module"`);
        page = page.replace('<head>', `<head>\n<style nonce="${nonce}">${THEME}</style>`);
        if (url.pathname === '/nocsp.html') page = page.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>\n/, '');
        res.writeHead(200, { 'content-type': TYPES['.html'], 'cache-control': 'no-store' }).end(page);
        return;
      }
      const file = path.join(site, path.normalize(url.pathname).replace(/^(\.\.[/\\])+/, ''));
      if (!file.startsWith(site) || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(await readFile(file));
    })();
  });
  const port = await listen(server);

  const userDataDir = path.join(dir, 'profile');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 800 },
    timezoneId: 'UTC',
    locale: 'en-US',
  });

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    trackerHits,
    trackerUrl: `http://127.0.0.1:${trackerPort}`,
    context,
    async openPage(opts = {}) {
      const page = await context.newPage();
      const consoleErrors = collectErrors(page);
      let query = '';
      if (opts.l10n) {
        const token = String(bundles.size + 1);
        bundles.set(token, opts.l10n);
        query = `?l10n=${token}`;
      }
      await page.goto(`http://127.0.0.1:${port}/${opts.csp === false ? 'nocsp' : 'index'}.html${query}`);
      await page.waitForFunction(() => (window as unknown as { __host?: { readyAt?: number } }).__host?.readyAt !== undefined);
      return { page, consoleErrors };
    },
    async openInWindow(opts) {
      const page = await context.newPage();
      const consoleErrors = collectErrors(page);
      await page.setViewportSize({ width: opts.width, height: opts.height });
      await page.goto(`http://127.0.0.1:${port}/window.html?sidebar=${opts.sidebar}`);
      const frame = page.frames().find((f) => f.url().endsWith('/index.html'));
      if (!frame) throw new Error('the webview frame of window.html did not load');
      await frame.waitForFunction(() => (window as unknown as { __host?: { readyAt?: number } }).__host?.readyAt !== undefined);
      return { page, frame, consoleErrors };
    },
    async close() {
      await context.close();
      await new Promise((r) => server.close(r));
      await new Promise((r) => tracker.close(r));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function collectErrors(page: Page): string[] {
  const consoleErrors: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) consoleErrors.push(`http ${r.status()}: ${r.url()}`);
  });
  return consoleErrors;
}

/** test-results/screenshots/preview-NAME.png (its folder made). */
export async function screenshotPath(name: string): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true });
  return path.join(SCREENSHOTS, `preview-${name}.png`);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const file = await screenshotPath(name);
  await page.screenshot({ path: file });
  return file;
}

export async function writeReport(name: string, data: unknown): Promise<void> {
  await mkdir(path.join(ROOT, 'test-results'), { recursive: true });
  await writeFile(path.join(ROOT, 'test-results', name), JSON.stringify(data, null, 2));
}

/** Frame times of one scroll through the grid (the first frame, which waits for the page, left out). */
export interface ScrollFrames {
  readonly deltas: number[];
  /** Most row elements in the DOM at any frame: the grid stays virtualised. */
  readonly maxRows: number;
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly over50ms: number;
}

/**
 * Scrolls the preview's grid from the top by steps on animation frames, as a fast wheel or scrollbar drag does:
 * 240 frames, 20 rows per frame for 120 frames, then 375 rows per frame. Shared by the preview test and the
 * bench (row 7), so that both measure the same thing.
 */
export async function measureScroll(page: Page): Promise<ScrollFrames> {
  const run = await page.evaluate(async () => {
    const body = document.querySelector<HTMLElement>('.grid-body')!;
    body.scrollTop = 0;
    await new Promise((r) => requestAnimationFrame(r));
    await new Promise((r) => requestAnimationFrame(r));
    const deltas: number[] = [];
    let maxRows = 0;
    let last = performance.now();
    for (let f = 0; f < 240; f++) {
      await new Promise((r) => requestAnimationFrame(r));
      const now = performance.now();
      deltas.push(now - last);
      last = now;
      maxRows = Math.max(maxRows, document.querySelectorAll('[data-testid="preview-row"]').length);
      body.scrollTop += f < 120 ? 480 : 9000;
    }
    return { deltas: deltas.slice(1), maxRows };
  });
  const sorted = [...run.deltas].sort((a, b) => a - b);
  const q = (p: number): number => Number(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(1));
  return {
    deltas: run.deltas,
    maxRows: run.maxRows,
    count: sorted.length,
    p50: q(0.5),
    p95: q(0.95),
    p99: q(0.99),
    max: Number(sorted.at(-1)!.toFixed(1)),
    over50ms: sorted.filter((d) => d > 50).length,
  };
}

/** A subset of VS Code's Dark Modern theme variables, as the workbench injects them into a webview. */
const THEME = `html{--vscode-font-family:system-ui,"Ubuntu","Droid Sans",sans-serif;--vscode-font-size:13px;--vscode-foreground:#cccccc;--vscode-editor-background:#1f1f1f;--vscode-descriptionForeground:#9d9d9d;--vscode-panel-border:#2b2b2b;--vscode-focusBorder:#0078d4;--vscode-list-hoverBackground:#2a2d2e;--vscode-list-activeSelectionBackground:#04395e;--vscode-list-activeSelectionForeground:#ffffff;--vscode-list-inactiveSelectionBackground:#37373d;--vscode-button-background:#0078d4;--vscode-button-foreground:#ffffff;--vscode-input-background:#313131;--vscode-input-foreground:#cccccc;--vscode-badge-background:#616161;--vscode-badge-foreground:#f8f8f8;--vscode-textLink-foreground:#4daafc;--vscode-errorForeground:#f85149}`;
