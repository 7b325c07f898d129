/**
 * Runs the extension tests (dist/test/vscode/index.js, built from test/vscode/suite/) inside a real VS Code,
 * offline, the way @vscode/test-electron does on a desktop: code-server's bundled VS Code server with the
 * smoke-test driver, Debian's Chromium through playwright-core, the extension loaded from this checkout
 * (extensionDevelopmentPath) and the tests' exit code received from the workbench.
 *
 *   node --import tsx test/vscode/run.ts          (after `npm run build`; scripts/test-vscode does both)
 *
 * Environment:
 *   MAILOPS_VSCODE_SETTINGS=FILE   settings for the test window (e.g. mailops.hosts pointing at the sandbox),
 *                                  written as the server's Machine settings: the web workbench is a remote
 *                                  window, and machine-scoped settings such as mailops.hosts are read from
 *                                  there (or the user settings of a local window), never from a workspace
 *   MAILOPS_VSCODE_WORKSPACE=DIR   open this folder instead of a fresh temporary one (used as is)
 *   MAILOPS_VSCODE_GREP=TEXT       run only the tests whose full title contains TEXT
 *   MAILOPS_VSCODE_TIMEOUT=SEC     overall limit (default 300)
 *   MAILOPS_VSCODE_VERBOSE=1       echo the server's output, the browser console and the workbench's log
 *                                  (always kept in test-results/vscode-workbench.log)
 *   MAILOPS_VSCODE_RESULT=FILE     write {"passed":N,"failed":N,"pending":N} there
 * The server's environment reaches the extension host, so the suites see MAILOPS_* variables; this runner
 * sets MAILOPS_VSCODE_RUN=1 and MAILOPS_VSCODE_WORKSPACE_DIR for them.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { format } from 'node:util';
import {
  REPO_ROOT,
  checkPrerequisites,
  launchBrowser,
  onShutdown,
  remoteUri,
  startServer,
  tempDir,
  workbenchUrl,
  type BrowserSession,
  type VscodeServer,
} from './host';

const TESTS_JS = path.join(REPO_ROOT, 'dist/test/vscode/index.js');
/** The line suite/index.ts prints at the end; parsed here. */
const RESULT_PREFIX = 'mailops-vscode-result ';
/** suite/index.ts prints this before mocha starts: from here to the result line is the tests' own output. */
const BEGIN_MARKER = 'mailops-vscode-begin';
/** Everything the workbench logged (its own noise included), kept for when something goes wrong. */
const WORKBENCH_LOG = path.join(REPO_ROOT, 'test-results/vscode-workbench.log');

interface Result {
  passed: number;
  failed: number;
  pending: number;
}

async function main(): Promise<number> {
  const started = Date.now();
  checkPrerequisites();
  if (!existsSync(TESTS_JS)) throw new Error(`${path.relative(REPO_ROOT, TESTS_JS)} is missing; run \`npm run build\` first`);
  const verbose = !!process.env.MAILOPS_VSCODE_VERBOSE;
  const timeoutSec = Number(process.env.MAILOPS_VSCODE_TIMEOUT ?? 300);

  let workspace = process.env.MAILOPS_VSCODE_WORKSPACE;
  let ownWorkspace: string | undefined;
  if (!workspace) {
    ownWorkspace = workspace = await tempDir('vscode-ws');
    await mkdir(path.join(workspace, '.vscode'), { recursive: true });
    await writeFile(path.join(workspace, '.vscode/settings.json'), '{}\n');
  }
  const settingsFile = process.env.MAILOPS_VSCODE_SETTINGS;
  const machineSettings = settingsFile ? (JSON.parse(readFileSync(path.resolve(settingsFile), 'utf8')) as Record<string, unknown>) : undefined;

  let server: VscodeServer | undefined;
  let session: BrowserSession | undefined;
  // Set first thing on cleanup: a setup step still under way when the timeout strikes closes what it made.
  let shuttingDown = false;
  let setupDone: Promise<void> = Promise.resolve();
  const cleanup = onShutdown(async () => {
    shuttingDown = true;
    await session?.close(); // first: makes a pending page.goto fail at once
    await Promise.race([setupDone, new Promise((r) => setTimeout(r, 15_000).unref())]);
    await session?.close();
    await server?.stop();
    if (ownWorkspace) await rm(ownWorkspace, { recursive: true, force: true });
  });

  let result: Result | undefined;
  let inSuites = false;
  const workbenchLog: string[] = [];
  const exitCode = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the extension tests did not finish within ${timeoutSec} s`)), timeoutSec * 1000);
    timer.unref();
    setupDone = (async () => {
      server = await startServer({
        verbose,
        ...(machineSettings ? { machineSettings } : {}),
        env: {
          MAILOPS_VSCODE_RUN: '1',
          MAILOPS_VSCODE_WORKSPACE_DIR: workspace,
          ...(process.env.MAILOPS_VSCODE_GREP ? { MAILOPS_VSCODE_GREP: process.env.MAILOPS_VSCODE_GREP } : {}),
        },
      });
      if (shuttingDown) return void (await server.stop());
      console.log(`vscode: server on ${server.origin} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      session = await launchBrowser();
      if (shuttingDown) return void (await session.close());
      const { page } = session;
      await page.exposeFunction('codeAutomationLog', (type: string, args: unknown) => {
        // The workbench forwards its own log and the extension host's console here, format string first.
        const text = format(...(Array.isArray(args) ? args : [args]));
        workbenchLog.push(`[${type}] ${text}`);
        for (const line of text.split('\n')) {
          if (line.startsWith(BEGIN_MARKER)) {
            inSuites = true;
            continue;
          }
          if (line.startsWith(RESULT_PREFIX)) {
            result = JSON.parse(line.slice(RESULT_PREFIX.length)) as Result;
            inSuites = false;
            continue;
          }
          // Mocha's reporter writes with console.log; the workbench's own errors (e.g. its failed gallery
          // queries, offline) arrive as 'error' and stay in the workbench log unless verbose.
          if (verbose) console.error(`[${type}] ${line}`);
          else if (inSuites && (type === 'log' || type === 'info')) console.log(line);
        }
      });
      await page.exposeFunction('codeAutomationExit', (code: number) => {
        clearTimeout(timer);
        resolve(code);
      });
      if (verbose) page.on('console', (m) => console.error(`[browser ${m.type()}] ${m.text()}`));
      page.on('pageerror', (e) => console.error(`[browser pageerror] ${e.message}`));
      const url = workbenchUrl(server, workspace, [
        ['extensionDevelopmentPath', remoteUri(server, REPO_ROOT)],
        ['extensionTestsPath', remoteUri(server, TESTS_JS)],
      ]);
      if (verbose) console.error(`[runner] ${url}`);
      await page.goto(url);
    })().catch((e: unknown) => {
      clearTimeout(timer);
      reject(e instanceof Error ? e : new Error(String(e)));
    });
  });

  try {
    const code = await exitCode;
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    if (!result) {
      console.error(`vscode: the tests ended without a result line (did suite/index.ts run?); see ${path.relative(REPO_ROOT, WORKBENCH_LOG)}`);
      result = { passed: 0, failed: 1, pending: 0 };
    } else if (code !== 0 && result.failed === 0) {
      result.failed = 1; // a failure outside any test (e.g. the runner crashed after the last test)
    }
    console.log(`vscode-extension-tests: ${result.passed} passed, ${result.failed} failed, ${result.pending} pending, exit code ${code}, ${secs} s`);
    if (process.env.MAILOPS_VSCODE_RESULT) await writeFile(process.env.MAILOPS_VSCODE_RESULT, JSON.stringify(result) + '\n');
    return code === 0 && result.failed === 0 ? 0 : 1;
  } catch (e) {
    console.error(`vscode: ${e instanceof Error ? e.message : String(e)}`);
    if (server && !verbose) console.error(`--- server output (last 4 KB) ---\n${server.output().slice(-4096)}`);
    if (process.env.MAILOPS_VSCODE_RESULT) await writeFile(process.env.MAILOPS_VSCODE_RESULT, JSON.stringify({ passed: 0, failed: 1, pending: 0 }) + '\n');
    return 1;
  } finally {
    await cleanup();
    await mkdir(path.dirname(WORKBENCH_LOG), { recursive: true });
    await writeFile(WORKBENCH_LOG, workbenchLog.join('\n') + '\n');
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`vscode: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
