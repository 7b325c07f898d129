/**
 * One operator's journey through Mailops in a real VS Code workbench (code-server's bundled server, Debian's
 * Chromium), against the sandbox mail host (scripts/sandbox): the sandbox hosts come in through the settings;
 * expand the accounts and folders of Dovecot and of Cyrus; run a backup task and read its output and exit
 * summary in the terminal; expunge a message on the server over ssh (as an operator would elsewhere); open
 * "Expunged"; preview it in the restore preview (webview); restore it ("Restored 1" into a new folder); see it
 * in that folder, on the host and in the tree after a refresh.
 * Screenshots: test-results/screenshots/journey-*.png.
 *
 *   node --import tsx --test --test-reporter=spec test/vscode/ui/journey.test.ts
 *
 * Fails when the sandbox is not up (never skips). The extension comes from mailops.vsix (MAILOPS_VSIX) when it exists,
 * else from this checkout (extensionDevelopmentPath, after `npm run build`).
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { dovecotLayout } from '../../../src/core/backup/layout';
import { decodeHeader } from '../../../src/core/dovecot/messages';
import { parseHostList } from '../../../src/core/hosts/model';
import { shellLine } from '../../../src/core/transport/quote';
import { REPO_ROOT, SCREENSHOTS, checkPrerequisites, openWorkbench, requireSandboxStatus, type Workbench } from '../host';

const STEP_MS = 45_000;
/** The account and folder this journey expunges from and restores into (other suites use alice and bob). */
const ACCOUNT = 'carol';
const FOLDER = 'Archive';

interface SandboxStatus {
  up: boolean;
  hostsFile: string;
  ssh: { host: string; port: number; user: string; identity: string; knownHosts: string };
  dovecot: { config: string };
}

/** Set by before(): the sandbox must be up (the journey fails, naming why, when it is not). */
let status: SandboxStatus | undefined;

/** A command on the mail host over ssh, as an operator would run it from a shell elsewhere. */
function onHost(command: string): string {
  assert.ok(status);
  const r = spawnSync(
    'ssh',
    ['-i', status.ssh.identity, '-p', String(status.ssh.port), '-o', `UserKnownHostsFile=${status.ssh.knownHosts}`, '-o', 'BatchMode=yes', `${status.ssh.user}@${status.ssh.host}`, command],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(r.status, 0, `ssh ${command}: ${r.stderr}`);
  return r.stdout;
}

let wb: Workbench | undefined;
let page: Page;

async function shot(name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `journey-${name}.png`);
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

async function collapse(label: string): Promise<void> {
  const r = row(label).first();
  if ((await r.getAttribute('aria-expanded')) === 'true') await r.click();
}

/** Click an inline action (hover icon) of a row. */
async function inline(label: string, action: string): Promise<void> {
  const r = row(label).first();
  await r.hover();
  await r.locator(`.action-label[aria-label^="${action}"]`).click();
}

describe('Mailops journey: hosts, backup task, expunge, restore preview, restore', { timeout: 420_000 }, () => {
  before(async () => {
    checkPrerequisites();
    status = requireSandboxStatus<SandboxStatus>();
    // The journey's account starts from its seed (earlier journeys moved its mail into Restored/… folders).
    const reseed = spawnSync('bash', [path.join(REPO_ROOT, 'scripts/sandbox'), '--host', process.env.MAILOPS_SANDBOX_HOST || 'd12', 'reseed', 'dovecot', ACCOUNT], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(reseed.status, 0, `scripts/sandbox reseed dovecot ${ACCOUNT}: ${reseed.stderr}`);
    const hostsRaw = JSON.parse(readFileSync(status.hostsFile, 'utf8')) as { hosts?: unknown[] } | unknown[];
    const hosts = Array.isArray(hostsRaw) ? hostsRaw : (hostsRaw.hosts ?? []);
    // A reseed gives the folders new UIDVALIDITYs: the old mirror's state no longer fits (doveadm backup would
    // exit 65), so the account's backups go too and the journey's backup makes a fresh mirror.
    const dovecotHost = parseHostList(hosts).find((h) => h.name === 'sandbox-dovecot');
    assert.ok(dovecotHost);
    const backupDir = dovecotLayout(dovecotHost, ACCOUNT).dir;
    assert.match(backupDir, /\/mailops\/dovecot\/carol$/);
    onHost(`rm -rf -- '${backupDir}'`);
    // The host comes in through the settings, as an operator would paste it into settings.json: mailops.hosts
    // is a machine setting, which this remote window reads from the server's Machine settings.
    wb = await openWorkbench({
      name: 'journey',
      userSettings: { 'terminal.integrated.gpuAcceleration': 'off', 'workbench.panel.defaultLocation': 'bottom' },
      machineSettings: { 'mailops.hosts': hosts },
    });
    page = wb.page;
  });

  after(async () => {
    await wb?.close();
  });

  it('shows the sandbox hosts, then the accounts and folders of Dovecot with their counts', async () => {
    const icon = page.locator('.part.activitybar .action-item a[aria-label^="Mailops"], .part.activitybar .action-item[aria-label^="Mailops"]').first();
    await icon.click({ timeout: STEP_MS });
    await row('sandbox-dovecot').waitFor({ timeout: STEP_MS });
    await row('sandbox-cyrus').waitFor({ timeout: STEP_MS });
    await shot('1-hosts');
    await expand('sandbox-dovecot');
    await row(ACCOUNT).first().waitFor({ timeout: STEP_MS });
    // The description follows the transport's state: connected once the accounts are listed (it may still say
    // "connecting" for a moment). Nothing else uses the sandbox meanwhile, so "failed" is a failure here.
    await row('sandbox-dovecot').filter({ hasText: /· (connected|failed)/ }).first().waitFor({ timeout: STEP_MS });
    const hostText = await row('sandbox-dovecot').first().innerText();
    assert.match(hostText, /· connected/, `the host row: ${hostText.replace(/\s+/g, ' ')}`);
    console.log(`host row: ${hostText.replace(/\s+/g, ' ')}`);
    await expand(ACCOUNT);
    const inbox = row('INBOX').first();
    await inbox.waitFor({ timeout: STEP_MS });
    assert.match(await inbox.innerText(), /\d+ messages/);
    await row('Backups').first().waitFor({ timeout: STEP_MS });
    await shot('2-dovecot-folders');
  });

  it('shows the users and folders of Cyrus', async () => {
    await collapse(ACCOUNT);
    await collapse('sandbox-dovecot');
    await expand('sandbox-cyrus');
    await row('Deleted folders').waitFor({ timeout: STEP_MS });
    await expand('bob');
    const archive = row('Archive.2023').first();
    await archive.waitFor({ timeout: STEP_MS });
    assert.match(await archive.innerText(), /\d+ messages/);
    await shot('3-cyrus-folders');
    await collapse('bob');
    await collapse('sandbox-cyrus');
  });

  it(`runs a backup of ${ACCOUNT} as a task: output and exit summary in the terminal`, async () => {
    await expand('sandbox-dovecot');
    await row(ACCOUNT).first().waitFor({ timeout: STEP_MS });
    await inline(ACCOUNT, 'Run Backup');
    const terminal = page.locator('.part.panel .terminal-wrapper .xterm-rows, .part.panel .xterm .xterm-rows').first();
    await terminal.waitFor({ timeout: STEP_MS });
    await page.waitForFunction(
      () => Array.from(document.querySelectorAll('.xterm-rows')).some((e) => /finished with exit code \d+/.test((e as HTMLElement).innerText)),
      undefined,
      { timeout: 120_000 },
    );
    const text = (await page.locator('.xterm-rows').allInnerTexts()).join('\n');
    // (xterm keeps only the visible rows in the DOM: the end of the run)
    assert.match(text, /MAILOPS \S+ run result ok=yes exit=0/);
    assert.match(text, /doveadm backup exited 0: in sync/);
    assert.match(text, /finished with exit code 0/);
    await shot('4-backup-task');
  });

  let subject = '';
  let countBefore = 0;

  it(`expunges a message of ${ACCOUNT}/${FOLDER} on the server; "Expunged" lists it after a refresh`, async () => {
    const conf = status!.dovecot.config;
    const listing = JSON.parse(onHost(`doveadm -c ${conf} -f json fetch -u ${ACCOUNT} 'uid hdr.subject' mailbox ${FOLDER}`)) as Array<{ uid: string; 'hdr.subject': string }>;
    assert.ok(listing.length > 0, `${ACCOUNT}/${FOLDER} has messages to expunge`);
    countBefore = listing.length;
    const victim = listing[0]!;
    subject = decodeHeader(victim['hdr.subject'].trim());
    onHost(`doveadm -c ${conf} expunge -u ${ACCOUNT} mailbox ${FOLDER} uid ${victim.uid}`);
    console.log(`expunged UID ${victim.uid} "${subject}" of ${ACCOUNT}/${FOLDER} on the host`);

    await inline(ACCOUNT, 'Refresh');
    await expand(ACCOUNT);
    const folder = row(FOLDER).first();
    await folder.waitFor({ timeout: STEP_MS });
    assert.match(await folder.innerText(), new RegExp(`${countBefore - 1} messages`));
    await expand('Expunged');
    await row(subject).first().waitFor({ timeout: STEP_MS });
    await shot('5-expunged');
  });

  /** The folder the restore preview restores into (its default: a new folder `Restored/YYYY-MM-DD HHMM`). */
  let target = '';

  /** The decoded subjects of a folder of the journey's account, on the host. */
  function subjectsOn(folder: string): string[] {
    const line = shellLine(['doveadm', '-c', status!.dovecot.config, '-f', 'json', 'fetch', '-u', ACCOUNT, 'hdr.subject', 'mailbox', folder]);
    const rows = JSON.parse(onHost(line)) as Array<{ 'hdr.subject': string }>;
    return rows.map((r) => decodeHeader(r['hdr.subject'].trim()));
  }

  it('previews the expunged message in the restore preview and restores it: "Restored 1"', async () => {
    await inline('Expunged', 'Preview and Restore');
    const frame = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    const restoreButton = frame.locator('[data-testid="restore-button"]');
    await restoreButton.waitFor({ timeout: 60_000 });
    // The account was reseeded before the journey (its EXPUNGED mailbox empty) and one message expunged since:
    // the plan holds exactly that message.
    const counts = frame.locator('[data-testid="plan-counts"]');
    await counts.filter({ hasText: /^\s*1 message, 1 shown\s*$/ }).waitFor({ timeout: STEP_MS }).catch(async () => {
      assert.fail(`the preview of Expunged should hold the one expunged message; it says: ${await counts.innerText()}`);
    });
    await frame.locator('[role="row"]', { hasText: subject }).first().click({ timeout: STEP_MS });
    await frame.locator('[data-testid="restore-button"]', { hasText: /Restore 1 message\b/ }).waitFor({ timeout: STEP_MS });
    target = await frame.locator('[data-testid="target-folder"] input').inputValue();
    assert.match(target, /^Restored\/\d{4}-\d\d-\d\d \d{4}$/, 'the default target is a new folder Restored/YYYY-MM-DD HHMM');
    await page.waitForTimeout(1000);
    await shot('6-preview');
    await restoreButton.click();
    const confirm = page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Restore$/ });
    await confirm.waitFor({ timeout: STEP_MS });
    await shot('7-confirm');
    await confirm.click();
    const done = frame.locator('[data-testid="restore-result"], [data-testid="restore-error"]').first();
    await done.waitFor({ timeout: 120_000 });
    await page.waitForTimeout(500);
    await shot('8-restored');
    const said = (await done.innerText()).replace(/\s+/g, ' ').trim();
    console.log(`restore preview says: ${said}`);
    assert.equal(await frame.locator('[data-testid="restore-error"]').count(), 0, `the restore failed: ${said}`);
    assert.equal(said, `Restored 1 into ${target}; skipped 0 already present. Verify: 1 checked, missing=0.`);
  });

  it('the message is back, in the restored folder (on the host and in the refreshed tree)', async () => {
    assert.ok(target, 'the restore step ran');
    // On the host: the new folder holds exactly the restored message; the original folder did not get it back.
    assert.deepEqual(subjectsOn(target), [subject], `${ACCOUNT}/${target} on the host`);
    assert.equal(subjectsOn(FOLDER).length, countBefore - 1, `${ACCOUNT}/${FOLDER} still lacks the expunged message`);
    // In the tree: refresh the account; the new folder is listed with its one message, which has the subject.
    await inline(ACCOUNT, 'Refresh');
    await expand(ACCOUNT);
    const folder = row(target).first();
    await folder.waitFor({ timeout: STEP_MS });
    // (the row's text runs the label into its description: "Restored/… 08151 messages")
    assert.match(await folder.locator('.label-description').innerText(), /^1 messages\b/);
    await expand(target);
    await expand('Messages');
    await row(subject).first().waitFor({ timeout: STEP_MS });
    await shot('9-back');
  });
});
