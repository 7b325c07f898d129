/**
 * The remote log viewer as an operator meets it, in a real VS Code workbench against the sandbox: a backup
 * run log holding the dsync warnings operators fear (captured from real doveadm runs, see
 * test/fixtures/logs/) is listed under the host's "Logs", opens read-only and highlighted, the warnings are
 * in the Problems view, and hovering the "Modseq … no longer in transaction log" line explains that it is a
 * fallback to a full sync, not a loss. Screenshots: test-results/screenshots/logs-*.png.
 *
 *   node --import tsx --test --test-reporter=spec test/vscode/ui/logs.test.ts
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { dovecotLayout } from '../../../src/core/backup/layout';
import { parseHostList, type HostConfig } from '../../../src/core/hosts/model';
import { formatStepLine } from '../../../src/core/backup/runlog';
import { REPO_ROOT, SCREENSHOTS, checkPrerequisites, openWorkbench, requireSandboxStatus, type Workbench } from '../host';

const STEP_MS = 45_000;
const ACCOUNT = 'bob';
const LOG_NAME = '29991231T235959Z-mirror.log';

interface SandboxStatus {
  up: boolean;
  hostsFile: string;
  ssh: { host: string; port: number; user: string; identity: string; knownHosts: string };
}

/** Set by before(): the sandbox must be up (these tests fail, naming why, when it is not). */
let status: SandboxStatus | undefined;

/** A command on the mail host over ssh with stdin, as an operator would run it from a shell elsewhere. */
function onHost(argv: string, input?: string): void {
  assert.ok(status);
  const r = spawnSync('ssh', ['-i', status.ssh.identity, '-p', String(status.ssh.port), '-o', `UserKnownHostsFile=${status.ssh.knownHosts}`, '-o', 'BatchMode=yes', `${status.ssh.user}@${status.ssh.host}`, argv], {
    encoding: 'utf8',
    input,
    timeout: 60_000,
  });
  assert.equal(r.status, 0, `ssh ${argv}: ${r.stderr}`);
}

/** A run log as Mailops writes it: step lines, with doveadm's own stderr (real captured lines) between them. */
function runLog(): string {
  const stderr = readFileSync(path.join(REPO_ROOT, 'test/fixtures/logs/dsync-stderr.log'), 'utf8').split('\n').filter((l) => /Modseq|Remote lost mailbox GUID/.test(l));
  assert.ok(stderr.length >= 2, 'the fixture holds the two dsync warnings');
  const t = (s: number) => new Date(Date.UTC(2026, 10, 22, 2, 0, s));
  return [
    formatStepLine({ time: t(0).toISOString(), step: 'run', status: 'start', fields: { kind: 'mirror', account: ACCOUNT } }),
    formatStepLine({ time: t(1).toISOString(), step: 'lock', status: 'ok', fields: {} }),
    formatStepLine({ time: t(1).toISOString(), step: 'dsync', status: 'start', fields: { attempt: '1' } }),
    ...stderr,
    formatStepLine({ time: t(4).toISOString(), step: 'dsync', status: 'retry', fields: { exit: '2', attempt: '1' } }),
    formatStepLine({ time: t(7).toISOString(), step: 'dsync', status: 'ok', fields: { exit: '0', attempt: '2' } }),
    formatStepLine({ time: t(7).toISOString(), step: 'run', status: 'result', fields: { ok: 'yes', exit: '0' } }),
    '',
  ].join('\n');
}

describe('remote log viewer in the workbench', { timeout: 300_000 }, () => {
  let wb: Workbench | undefined;
  let page: Page;
  let logPath: string;

  const shot = async (name: string) => {
    await mkdir(SCREENSHOTS, { recursive: true });
    const file = path.join(SCREENSHOTS, `logs-${name}.png`);
    await page.screenshot({ path: file });
    console.log(`screenshot: ${path.relative(REPO_ROOT, file)}`);
  };
  const row = (label: string): Locator => page.locator('.part.sidebar .monaco-list-row').filter({ hasText: label });

  before(async () => {
    checkPrerequisites();
    status = requireSandboxStatus<SandboxStatus>();
    const raw = JSON.parse(readFileSync(status.hostsFile, 'utf8')) as { hosts: unknown[] };
    const hosts = parseHostList(raw.hosts);
    const dovecot = hosts.find((h) => h.name === 'sandbox-dovecot') as HostConfig;
    logPath = `${dovecotLayout(dovecot, ACCOUNT).logs}/${LOG_NAME}`;
    onHost(`mkdir -p -- '${path.dirname(logPath)}' && cat > '${logPath}'`, runLog());
    wb = await openWorkbench({ name: 'logs', userSettings: { 'workbench.panel.defaultLocation': 'bottom' }, machineSettings: { 'mailops.hosts': hosts } });
    page = wb.page;
  });

  after(async () => {
    if (status && logPath) onHost(`rm -f -- '${logPath}'`);
    await wb?.close();
  });

  it('lists the run log under the host, opens it highlighted, with its warnings in Problems', async () => {
    await page.locator('.part.activitybar .action-item a[aria-label^="Mailops"], .part.activitybar .action-item[aria-label^="Mailops"]').first().click({ timeout: STEP_MS });
    await row('sandbox-dovecot').first().click({ timeout: STEP_MS });
    // The host row's description changes as the connection comes up, which re-renders the tree: wait for a
    // settled state before clicking further down. That state must be "connected": the logs come over it.
    await row('sandbox-dovecot').filter({ hasText: /· (connected|failed)/ }).first().waitFor({ timeout: STEP_MS });
    const hostText = await row('sandbox-dovecot').first().innerText();
    assert.match(hostText, /· connected/, `the host row: ${hostText.replace(/\s+/g, ' ')}`);
    await row('Logs').first().click({ timeout: STEP_MS });
    const entry = row(`${ACCOUNT}: ${LOG_NAME}`).first();
    await entry.waitFor({ timeout: STEP_MS });
    const editor = page.locator('.editor-instance .monaco-editor').first();
    // A click that lands while the list re-renders is lost; a person clicks again, and so does this test.
    for (let attempt = 1; ; attempt++) {
      await entry.click();
      try {
        await editor.waitFor({ timeout: 10_000 });
        break;
      } catch (e) {
        if (attempt >= 3) throw e;
      }
    }
    await page.locator('.view-line', { hasText: 'no longer in transaction log' }).first().waitFor({ timeout: STEP_MS });
    // Highlighted: the grammar gives the MAILOPS step lines and the warnings their own token colours.
    const colours = await page.locator('.view-line span span').evaluateAll((spans) => new Set(spans.map((s) => getComputedStyle(s).color)).size);
    assert.ok(colours >= 3, `expected several token colours in the log, saw ${colours}`);
    // The read-only remote document, with the language of the log viewer.
    await page.keyboard.press('Control+Shift+M');
    const problems = page.locator('.markers-panel .monaco-list-row');
    await problems.first().waitFor({ timeout: STEP_MS });
    const text = (await page.locator('.markers-panel').innerText()).replace(/\s+/g, ' ');
    assert.match(text, /Modseq|full sync/i, text.slice(0, 400));
    await shot('1-open');
  });

  it('hovering the Modseq warning explains it: a fallback to a full sync, not a loss', async () => {
    const target = page.locator('.view-line span', { hasText: 'no longer in transaction log' }).first();
    await target.hover();
    const hover = page.locator('.monaco-hover:not(.hidden)').filter({ hasText: /not a loss/ }).first();
    await hover.waitFor({ timeout: STEP_MS });
    assert.match(await hover.innerText(), /full sync/i);
    await shot('2-hover');
  });
});
