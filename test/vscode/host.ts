/**
 * A real VS Code for tests, offline: code-server's bundled VS Code server (installed by
 * scripts/vscode-host.sh into .tools/code-server) and Debian's Chromium driven by playwright-core.
 * Shared by test/vscode/run.ts (extension tests inside the extension host) and test/vscode/ui/*.test.ts
 * (clicking through the workbench as a person would).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const SERVER_MAIN =
  process.env.MAILOPS_VSCODE_SERVER_MAIN ?? path.join(REPO_ROOT, '.tools/code-server/node_modules/code-server/lib/vscode/out/server-main.js');
export const CHROMIUM = process.env.MAILOPS_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.join(REPO_ROOT, 'test-results/screenshots');

export function checkPrerequisites(): void {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const problems: string[] = [];
  if (major < 22 || (major === 22 && minor < 15)) problems.push(`Node ${process.versions.node} is too old for the VS Code server (needs >= 22.15)`);
  if (!existsSync(SERVER_MAIN)) problems.push(`no VS Code server at ${path.relative(REPO_ROOT, SERVER_MAIN)}`);
  if (!existsSync(CHROMIUM)) problems.push(`no Chromium at ${CHROMIUM}`);
  if (problems.length) {
    throw new Error(`${problems.join('; ')}\n  next: run \`bash scripts/vscode-host.sh\` (installs code-server and chromium), then run this again via \`bash scripts/test-vscode\``);
  }
}

/**
 * The sandbox mail host's status (`scripts/sandbox status --json`) for the UI tests that work against it: the
 * file MAILOPS_SANDBOX_STATUS names (scripts/test-vscode writes it for the host MAILOPS_SANDBOX_HOST), else
 * asked now. Throws with the reason when the sandbox is not up: those tests fail then, they never skip.
 */
export function requireSandboxStatus<T extends { up: boolean }>(): T {
  const file = process.env.MAILOPS_SANDBOX_STATUS;
  let text: string;
  let source: string;
  if (file) {
    source = `${file} (MAILOPS_SANDBOX_STATUS)`;
    if (!existsSync(file)) throw new Error(`the sandbox status ${source} does not exist; run \`scripts/sandbox up\`, then \`scripts/sandbox status\``);
    text = readFileSync(file, 'utf8');
  } else {
    const args = ['--host', process.env.MAILOPS_SANDBOX_HOST || 'd12', 'status', '--json'];
    source = `\`scripts/sandbox ${args.join(' ')}\``;
    const r = spawnSync('bash', [path.join(REPO_ROOT, 'scripts/sandbox'), ...args], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`the sandbox is not up: ${source} exited ${String(r.status ?? r.signal)}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}; run \`scripts/sandbox up\``);
    text = r.stdout;
  }
  const s = JSON.parse(text) as T;
  if (s.up !== true) throw new Error(`the sandbox is not up: ${source} says up=${String(s.up)}; run \`scripts/sandbox up\``);
  return s;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), `mailops-${prefix}-`));
}

export interface VscodeServer {
  readonly port: number;
  readonly origin: string;
  readonly dataDir: string;
  readonly extensionsDir: string;
  /** The server's own output so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** Extra environment for the server and so for the extension host (the suites read it with process.env). */
  env?: Record<string, string>;
  /** Extensions directory; default a fresh one under the server data dir. */
  extensionsDir?: string;
  /** Echo the server's output as it comes (MAILOPS_VSCODE_VERBOSE=1). */
  verbose?: boolean;
  /** User settings, on top of QUIET_SETTINGS (the web workbench keeps them in DATA_DIR/data/User/settings.json). */
  userSettings?: Record<string, unknown>;
  /**
   * Machine settings: the "Remote" tab of the Settings editor, DATA_DIR/data/Machine/settings.json. The web
   * workbench is a remote window, so machine-scoped settings (mailops.hosts) are read from here only.
   */
  machineSettings?: Record<string, unknown>;
}

/** Keep the workbench offline and uncluttered: no gallery queries, no update checks, no AI side panel. */
export const QUIET_SETTINGS: Readonly<Record<string, unknown>> = {
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
};

/** Where the server keeps the web workbench's user settings. */
export function userSettingsFile(dataDir: string): string {
  return path.join(dataDir, 'data/User/settings.json');
}

/** Where the server keeps its machine settings (the Settings editor's "Remote" tab). */
export function machineSettingsFile(dataDir: string): string {
  return path.join(dataDir, 'data/Machine/settings.json');
}

function serverArgs(dataDir: string, extensionsDir: string): string[] {
  return [
    '--accept-server-license-terms',
    '--disable-telemetry',
    '--disable-workspace-trust',
    '--server-data-dir',
    dataDir,
    '--extensions-dir',
    extensionsDir,
  ];
}

/** Install a .vsix into an extensions dir with the server's own CLI (what `code --install-extension` does). */
export function installVsix(vsix: string, extensionsDir: string, dataDir: string): string {
  const r = spawnSync(process.execPath, [SERVER_MAIN, ...serverArgs(dataDir, extensionsDir), '--install-extension', vsix, '--force'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0 || !/successfully installed/i.test(out)) {
    throw new Error(`installing ${vsix} into the VS Code server failed (exit ${r.status}):\n${out}`);
  }
  return out.trim();
}

/** Start the VS Code server on a free loopback port and wait until it serves the workbench. */
export async function startServer(options: ServerOptions = {}): Promise<VscodeServer> {
  const dataDir = await tempDir('vscode-server');
  const extensionsDir = options.extensionsDir ?? path.join(dataDir, 'extensions');
  await mkdir(extensionsDir, { recursive: true });
  await mkdir(path.dirname(userSettingsFile(dataDir)), { recursive: true });
  await writeFile(userSettingsFile(dataDir), JSON.stringify({ ...QUIET_SETTINGS, ...options.userSettings }, null, 2) + '\n');
  if (options.machineSettings) {
    await mkdir(path.dirname(machineSettingsFile(dataDir)), { recursive: true });
    await writeFile(machineSettingsFile(dataDir), JSON.stringify(options.machineSettings, null, 2) + '\n');
  }
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    process.execPath,
    [SERVER_MAIN, '--host', '127.0.0.1', '--port', String(port), '--without-connection-token', '--enable-smoke-test-driver', ...serverArgs(dataDir, extensionsDir)],
    {
      // Its own process group, so stop() also ends the extension host and the file watcher it forks.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    },
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    output += text;
    if (output.length > 200_000) output = output.slice(-100_000);
    if (options.verbose) process.stderr.write(`[server] ${text}`);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.pid && exited === undefined) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, 5_000);
      await gone;
      clearTimeout(timer);
    }
    await rm(dataDir, { recursive: true, force: true, maxRetries: 3 });
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== undefined) {
      await stop();
      throw new Error(`the VS Code server exited with code ${exited} before serving:\n${output}`);
    }
    try {
      const res = await fetch(`${origin}/version`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the VS Code server did not answer on ${origin} within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { port, origin, dataDir, extensionsDir, output: () => output, stop };
}

export interface BrowserSession {
  readonly context: BrowserContext;
  readonly page: Page;
  close(): Promise<void>;
}

/** Debian's Chromium, headless, fresh profile, no network but loopback. */
export async function launchBrowser(): Promise<BrowserSession> {
  const userDataDir = await tempDir('chromium');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: process.env.MAILOPS_VSCODE_HEADED ? false : true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  let closed = false;
  return {
    context,
    page,
    async close() {
      if (closed) return;
      closed = true;
      await context.close().catch(() => undefined);
      await rm(userDataDir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

/** `vscode-remote://127.0.0.1:P/abs/path`: how the web workbench names a file on the server. */
export function remoteUri(server: VscodeServer, absPath: string): string {
  return `vscode-remote://127.0.0.1:${server.port}${absPath.split(path.sep).map(encodeURIComponent).join('/')}`;
}

/** The workbench URL for a folder, with the `payload` options the smoke-test driver honours. */
export function workbenchUrl(server: VscodeServer, folder: string, payload: [string, string][] = []): string {
  const url = new URL(server.origin);
  url.searchParams.set('folder', folder);
  const all: [string, string][] = [['skipWelcome', 'true'], ['skipReleaseNotes', 'true'], ...payload];
  url.searchParams.set('payload', JSON.stringify(all));
  return url.toString();
}

/** Run cleanups once, on normal end, on Ctrl+C / SIGTERM, and on the overall timeout. */
export function onShutdown(cleanup: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  const run = () => (done ??= cleanup().catch((e: unknown) => console.error(`cleanup failed: ${String(e)}`)));
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      void run().then(() => process.exit(130));
    });
  }
  return run;
}

export interface Workbench {
  server: VscodeServer;
  session: BrowserSession;
  page: Page;
  workspace: string;
  /** Where the extension came from: the built .vsix (as users install it) or this checkout. */
  source: 'vsix' | 'development';
  close(): Promise<void>;
}

/**
 * The workbench as a user meets it, for UI tests: an empty workspace folder, the built mailops.vsix installed
 * when it exists (MAILOPS_VSIX or ./mailops.vsix; else this checkout as a development extension, after
 * `npm run build`), the given user and machine settings, Chromium on the workbench with its page ready.
 */
export async function openWorkbench(options: {
  name: string;
  userSettings?: Record<string, unknown>;
  /** Machine settings: where this remote window reads mailops.hosts (a machine-scoped setting). */
  machineSettings?: Record<string, unknown>;
  files?: Record<string, string>;
}): Promise<Workbench> {
  const vsix = path.resolve(process.env.MAILOPS_VSIX ?? path.join(REPO_ROOT, 'mailops.vsix'));
  const workspace = await tempDir(`vscode-${options.name}-ws`);
  await mkdir(path.join(workspace, '.vscode'), { recursive: true });
  await writeFile(path.join(workspace, '.vscode/settings.json'), '{}\n');
  for (const [name, text] of Object.entries(options.files ?? {})) await writeFile(path.join(workspace, name), text);
  const extensionsDir = await mkdtemp(path.join(path.dirname(workspace), 'mailops-vscode-ext-'));
  let source: Workbench['source'] = 'development';
  if (existsSync(vsix)) {
    const dataDir = await tempDir('vscode-install');
    installVsix(vsix, extensionsDir, dataDir);
    await rm(dataDir, { recursive: true, force: true });
    source = 'vsix';
  } else if (!existsSync(path.join(REPO_ROOT, 'dist/extension.js'))) {
    throw new Error('neither mailops.vsix nor dist/extension.js: run `npm run package` or `npm run build`');
  }
  const server = await startServer({ extensionsDir, verbose: !!process.env.MAILOPS_VSCODE_VERBOSE, userSettings: options.userSettings, machineSettings: options.machineSettings });
  const session = await launchBrowser();
  const page = session.page;
  await page.goto(workbenchUrl(server, workspace, source === 'development' ? [['extensionDevelopmentPath', remoteUri(server, REPO_ROOT)]] : []));
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  console.log(`extension from ${source === 'vsix' ? path.relative(REPO_ROOT, vsix) : 'this checkout (extensionDevelopmentPath)'}`);
  return {
    server,
    session,
    page,
    workspace,
    source,
    async close() {
      await session.close();
      await server.stop();
      await rm(server.extensionsDir, { recursive: true, force: true });
      await rm(workspace, { recursive: true, force: true });
    },
  };
}
