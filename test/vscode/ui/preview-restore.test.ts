/**
 * The restore preview as an operator uses it, in a real VS Code workbench (code-server's bundled server, Debian's
 * Chromium) against the sandbox mail host (MAILOPS_SANDBOX_HOST: both hosts, one run each):
 *   - a mirror of alice is made (Mailops' CLI), then one of her messages is expunged on the server;
 *   - in a 1600 px window with the side bar dragged to 600 px, the mirror opens from the tree: the tab names the
 *     set, the grid shows Status and Destination, the expunged message is `new` and goes to Restored/…/Archive,
 *     the others are `already there`;
 *   - Restore: while the dialog asks (saying where the mail goes) the preview shows no progress; confirmed, the
 *     result is verified, and without any refresh the preview plans again: the message is `already there`, in
 *     the folder it was restored into, and the button is off.
 * Screenshots: test-results/screenshots/preview-vscode-*.png.
 *
 *   flock /var/tmp/mailops-sandbox.testlock env MAILOPS_SANDBOX_HOST=d13 MAILOPS_VSCODE_ONLY=ui bash scripts/test-vscode
 *
 * Fails when the sandbox is not up (never skips). Leaves alice as seeded (reseeded, no backups) when it ends.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { dovecotLayout } from '../../../src/core/backup/layout';
import { decodeHeader } from '../../../src/core/dovecot/messages';
import { parseHostList, type HostConfig } from '../../../src/core/hosts/model';
import { shellLine } from '../../../src/core/transport/quote';
import { REPO_ROOT, SCREENSHOTS, checkPrerequisites, openWorkbench, requireSandboxStatus, type Workbench } from '../host';

const STEP_MS = 45_000;
/** The account this test backs up, expunges from and restores into (the journey uses carol, logs bob). */
const ACCOUNT = 'alice';
const FOLDER = 'Archive';
const SIDEBAR_PX = 600;

interface SandboxStatus {
  up: boolean;
  hostsFile: string;
  host: { id: string };
  ssh: { host: string; port: number; user: string; identity: string; knownHosts: string };
  dovecot: { config: string };
}

let status: SandboxStatus;
let dovecotHost: HostConfig;
let hostsList: unknown[];
let wb: Workbench | undefined;
let page: Page;

/** A command on the mail host over ssh, as an operator would run it from a shell elsewhere. */
function onHost(argv: string[]): string {
  const r = spawnSync(
    'ssh',
    ['-i', status.ssh.identity, '-p', String(status.ssh.port), '-o', `UserKnownHostsFile=${status.ssh.knownHosts}`, '-o', 'BatchMode=yes', `${status.ssh.user}@${status.ssh.host}`, shellLine(argv)],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(r.status, 0, `ssh ${shellLine(argv)}: ${r.stderr}`);
  return r.stdout;
}

function sandbox(...args: string[]): void {
  const r = spawnSync('bash', [path.join(REPO_ROOT, 'scripts/sandbox'), '--host', status.host.id, ...args], { encoding: 'utf8', timeout: 180_000 });
  assert.equal(r.status, 0, `scripts/sandbox --host ${status.host.id} ${args.join(' ')}: ${r.stderr}`);
}

/** The account's backups start afresh (a reseed gives new UIDVALIDITYs, which an old mirror state does not fit). */
function resetAccount(): void {
  sandbox('reseed', 'dovecot', ACCOUNT);
  const dir = dovecotLayout(dovecotHost, ACCOUNT).dir;
  assert.match(dir, new RegExp(`/dovecot/${ACCOUNT}$`));
  onHost(['rm', '-rf', '--', dir]);
}

/** Subjects (decoded) of a live folder of the account, on the host. */
function subjectsOn(folder: string): string[] {
  const rows = JSON.parse(onHost(['doveadm', '-c', status.dovecot.config, '-f', 'json', 'fetch', '-u', ACCOUNT, 'hdr.subject', 'mailbox', folder])) as Array<{ 'hdr.subject': string }>;
  return rows.map((r) => decodeHeader(r['hdr.subject'].trim()));
}

async function shot(name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `preview-vscode-${name}.png`);
  await page.screenshot({ path: file });
  console.log(`screenshot: ${path.relative(REPO_ROOT, file)}`);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A row of the Mailops side bar tree by its exact label. */
function row(label: string): Locator {
  return page.locator('.part.sidebar .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRe(label)}$`) }) });
}

async function expand(label: string): Promise<void> {
  const r = row(label).first();
  await r.waitFor({ timeout: STEP_MS });
  if ((await r.getAttribute('aria-expanded')) !== 'true') await r.click();
}

/**
 * Drags the sash between side bar and editor until the side bar is `width` px wide. The grab point is the
 * centre of the vertical sash found on the side bar's right edge (not the edge pixel, which a loaded machine's
 * layout may put a pixel off the sash), after a hover pause; a drag that did not take is tried again.
 */
async function sideBarWidth(width: number): Promise<number> {
  const bar = page.locator('.part.sidebar');
  for (let attempt = 0; attempt < 3; attempt++) {
    const box = (await bar.boundingBox())!;
    const edge = box.x + box.width;
    if (Math.abs(box.width - width) <= 4) return Math.round(box.width);
    const sashes = await page.locator('.monaco-sash.vertical').evaluateAll((els) =>
      els.map((e) => e.getBoundingClientRect()).map((r) => ({ x: r.x + r.width / 2, y: r.y, h: r.height })),
    );
    const sash = sashes.filter((r) => r.h > 0).sort((a, b) => Math.abs(a.x - edge) - Math.abs(b.x - edge))[0];
    const x = sash && Math.abs(sash.x - edge) <= 4 ? sash.x : edge - 1;
    const y = box.y + box.height / 2;
    await page.mouse.move(x, y);
    await page.waitForTimeout(150);
    await page.mouse.down();
    await page.mouse.move(x + (width - box.width), y, { steps: 12 });
    await page.mouse.up();
    await page.waitForTimeout(150);
  }
  return Math.round((await bar.boundingBox())!.width);
}

let subject = '';
/** The folder the restore went into (the target box then offers a new default, which may name another minute). */
let restoredTo = '';
let frame: FrameLocator;

describe(`Restore preview in VS Code: a mirror restore shows what it did without a refresh (${process.env.MAILOPS_SANDBOX_HOST || 'd12'})`, { timeout: 480_000 }, () => {
  before(async () => {
    checkPrerequisites();
    status = requireSandboxStatus<SandboxStatus>();
    const raw = JSON.parse(readFileSync(status.hostsFile, 'utf8')) as { hosts?: unknown[] } | unknown[];
    hostsList = Array.isArray(raw) ? raw : (raw.hosts ?? []);
    const found = parseHostList(hostsList).find((h) => h.server === 'dovecot' && h.ssh?.port === status.ssh.port);
    assert.ok(found, `a Dovecot host on port ${status.ssh.port} in ${status.hostsFile}`);
    dovecotHost = found;
    resetAccount();
    // The mirror, made by Mailops' own command line as a cron job would.
    const backup = spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist/cli.js'), '--config', status.hostsFile, '--host', dovecotHost.name, 'backup', ACCOUNT, '--kind', 'mirror'], { encoding: 'utf8', timeout: 180_000 });
    assert.equal(backup.status, 0, `mailops backup ${ACCOUNT} --kind mirror: ${backup.stdout}\n${backup.stderr}`);
    // Then a message goes missing on the server: the mirror still has it.
    const listing = JSON.parse(onHost(['doveadm', '-c', status.dovecot.config, '-f', 'json', 'fetch', '-u', ACCOUNT, 'uid hdr.subject', 'mailbox', FOLDER])) as Array<{ uid: string; 'hdr.subject': string }>;
    assert.ok(listing.length > 1, `${ACCOUNT}/${FOLDER} has messages`);
    subject = decodeHeader(listing[0]!['hdr.subject'].trim());
    onHost(['doveadm', '-c', status.dovecot.config, 'expunge', '-u', ACCOUNT, 'mailbox', FOLDER, 'uid', listing[0]!.uid]);
    console.log(`expunged "${subject}" of ${ACCOUNT}/${FOLDER} on ${dovecotHost.name} (${status.host.id}) after the mirror`);
    wb = await openWorkbench({
      name: 'preview',
      userSettings: { 'terminal.integrated.gpuAcceleration': 'off', 'workbench.panel.defaultLocation': 'bottom' },
      machineSettings: { 'mailops.hosts': hostsList },
    });
    page = wb.page;
    await page.setViewportSize({ width: 1600, height: 900 });
  });

  after(async () => {
    await wb?.close();
    if (status) resetAccount();
  });

  it(`opens the mirror of ${ACCOUNT} from the tree in a 1600 px window with a ${SIDEBAR_PX} px side bar: Status and Destination show`, async () => {
    const icon = page.locator('.part.activitybar .action-item a[aria-label^="Mailops"], .part.activitybar .action-item[aria-label^="Mailops"]').first();
    await icon.click({ timeout: STEP_MS });
    await row(dovecotHost.name).waitFor({ timeout: STEP_MS });
    const width = await sideBarWidth(SIDEBAR_PX);
    assert.ok(Math.abs(width - SIDEBAR_PX) <= 4, `the side bar is ${width} px wide`);
    await expand(dovecotHost.name);
    await expand(ACCOUNT);
    await expand('Backups');
    await row('Mirror').first().click({ timeout: STEP_MS });

    const tab = page.locator('.tabs-container .tab', { hasText: `Restore ${ACCOUNT} on ${dovecotHost.name}: mirror` });
    await tab.waitFor({ timeout: STEP_MS });
    frame = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    const counts = frame.locator('[data-testid="plan-counts"]');
    await counts.filter({ hasText: /\bshown\b/ }).waitFor({ timeout: 90_000 });
    const line = frame.locator('[data-testid="preview-row"]', { hasText: subject }).first();
    await line.waitFor({ timeout: STEP_MS });
    assert.equal(await line.getAttribute('data-status'), 'new');
    assert.equal((await line.locator('[data-testid="cell-status"]').innerText()).trim(), 'new');
    const target = await frame.locator('[data-testid="target-folder"] input').inputValue();
    assert.match(target, /^Restored\/\d{4}-\d\d-\d\d \d{4}$/);
    assert.equal((await line.locator('[data-testid="cell-destination"]').innerText()).trim(), `${target}/${FOLDER}`);
    // Every other message of the mirror is in the account: already there, in its own folder.
    const total = Number((await counts.innerText()).match(/^([\d,]+) messages?/)?.[1]?.replace(/,/g, ''));
    await frame.locator('[data-testid="status-filter"]').evaluate((el) => {
      (el as HTMLElement & { value: string }).value = 'present';
      el.dispatchEvent(new Event('change'));
    });
    await counts.filter({ hasText: new RegExp(`, ${total - 1} shown`) }).waitFor({ timeout: STEP_MS });
    await frame.locator('[data-testid="clear-filters"]').click();
    await counts.filter({ hasText: new RegExp(`, ${total} shown`) }).waitFor({ timeout: STEP_MS });

    // The grid at this width: both columns inside it, on every row on screen.
    const layout = await frame.locator('[data-testid="grid"]').evaluate((grid) => {
      const g = grid.getBoundingClientRect();
      const cells = [...grid.querySelectorAll('[data-testid="sort-status"], [data-testid="sort-destination"], [data-testid="cell-status"] vscode-badge, [data-testid="cell-destination"]')];
      return {
        width: Math.round(g.width),
        columns: grid.getAttribute('data-columns'),
        cells: cells.length,
        outside: cells.filter((c) => {
          const r = c.getBoundingClientRect();
          return r.width < 20 || r.left < g.left - 1 || r.right > g.right + 1;
        }).length,
      };
    });
    console.log(`grid at a ${width} px side bar: ${JSON.stringify(layout)}`);
    assert.match(layout.columns ?? '', /\bstatus\b.*\bdestination\b/);
    assert.ok(layout.cells >= 4 && layout.outside === 0, JSON.stringify(layout));
    await line.click();
    await frame.locator('[data-testid="restore-button"]', { hasText: /^\s*Restore 1 message\s*$/ }).waitFor({ timeout: STEP_MS });
    await page.waitForTimeout(500);
    await shot('1-mirror');
  });

  it('restores it: no progress while the dialog asks, which names the folder; then the verified result', async () => {
    const target = await frame.locator('[data-testid="target-folder"] input').inputValue();
    await frame.locator('[data-testid="restore-button"]').click();
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: STEP_MS });
    const said = (await dialog.innerText()).replace(/\s+/g, ' ');
    console.log(`the dialog says: ${said}`);
    assert.match(said, new RegExp(`Restore 1 message of ${ACCOUNT} on ${escapeRe(dovecotHost.name)} from the mirror\\?`));
    assert.match(said, new RegExp(`${escapeRe(`${target}/${FOLDER}`)}: 1 message`));
    // Behind the dialog the preview waits for the answer; nothing claims the restore started.
    await frame.locator('[data-testid="restore-pending"][data-phase="confirming"]').waitFor({ timeout: STEP_MS });
    assert.equal(await frame.locator('[data-testid="restore-progress"]').count(), 0);
    await shot('2-confirm');
    await dialog.locator('.monaco-button', { hasText: /^Restore$/ }).click();
    const done = frame.locator('[data-testid="restore-result"], [data-testid="restore-error"]').first();
    await done.waitFor({ timeout: 120_000 });
    const result = (await done.innerText()).replace(/\s+/g, ' ').trim();
    console.log(`the preview says: ${result}`);
    assert.equal(await frame.locator('[data-testid="restore-error"]').count(), 0, result);
    assert.equal(result, `Restored 1 into ${target}/${FOLDER}; skipped 0 already present. Verify: 1 checked, missing=0.`);
    assert.deepEqual(subjectsOn(`${target}/${FOLDER}`), [subject], 'on the host, the restored folder holds the message');
    restoredTo = target;
  });

  it('without a refresh, the preview now shows the message as already there (where it went) and the button is off', async () => {
    const target = restoredTo;
    assert.ok(target, 'the restore before this test named its folder');
    const line = frame.locator('[data-testid="preview-row"][data-status="present"]', { hasText: subject }).first();
    await line.waitFor({ timeout: 90_000 });
    assert.equal((await line.locator('[data-testid="cell-status"]').innerText()).trim(), 'already there');
    assert.equal((await line.locator('[data-testid="cell-destination"]').innerText()).trim(), `${target}/${FOLDER}`);
    assert.equal(await line.getAttribute('aria-selected'), 'true', 'the choice survived the reload');
    const button = frame.locator('[data-testid="restore-button"]');
    await button.filter({ hasText: /^\s*Already there\s*$/ }).waitFor({ timeout: STEP_MS });
    assert.equal(await button.evaluate((b) => b.hasAttribute('disabled')), true, 'the restore button is off');
    assert.equal(await frame.locator('[data-testid="preview-row"][data-status="new"]').count(), 0, 'nothing in the mirror is missing from the account any more');
    // The result of the restore stays on screen.
    await frame.locator('[data-testid="restore-result"]').waitFor();
    await page.waitForTimeout(500);
    await shot('3-after');
  });
});
