/**
 * Trust, as an operator meets it in a real VS Code workbench against the sandbox (issue 11 point 3, issue 13
 * point 4). The workspace is a "repository" that ships a .vscode/settings.json with its own mailops.hosts and a
 * .vscode/tasks.json with an undelete; the operator's own hosts are in the machine settings.
 *   11.3  the repository's hosts are ignored: the tree shows the operator's hosts, a warning names the file;
 *         the repository's undelete task asks in a modal that says what it will write (Cancel: nothing).
 *   13.4  an undelete asks for the Cyrus admin password in the input box itself (no toast in the
 *         notification centre): a wrong password is refused and asked again, saying so; the right one, with
 *         "remember" chosen in the box, works and is remembered (the next undelete asks nothing); the wrong one
 *         was never kept.
 * Screenshots: test-results/screenshots/trust-*.png.
 *
 *   node --import tsx --test --test-reporter=spec test/vscode/ui/trust.test.ts
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { ImapClient, quoteImap } from '../../support/imap';
import { REPO_ROOT, SCREENSHOTS, checkPrerequisites, openWorkbench, requireSandboxStatus, type Workbench } from '../host';

const STEP_MS = 45_000;
const USER = 'bob';
/** Leaf folders of bob, deleted by him before the test: two undeleted from the tree, one by the tasks.json task. */
const TREE_FOLDERS = ['Work Stuff', "Bob's 'Q3' notes"];
const TASK_FOLDER = 'Archive.2023';
const TASK_LABEL = 'repository: undelete bob Archive.2023';

interface SandboxStatus {
  up: boolean;
  hostsFile: string;
  host: { id: string };
  cyrus: { imap: string; separator: string; adminPassword: string; users: Array<{ name: string; password: string; mailboxes: Record<string, number> }> };
}

let status: SandboxStatus;
let wb: Workbench | undefined;
let page: Page;

async function shot(name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `trust-${name}.png`);
  await page.screenshot({ path: file });
  console.log(`screenshot: ${path.relative(REPO_ROOT, file)}`);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function row(label: string): Locator {
  return page.locator('.part.sidebar .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRe(label)}$`) }) });
}

async function expand(label: string): Promise<void> {
  const r = row(label).first();
  await r.waitFor({ timeout: STEP_MS });
  if ((await r.getAttribute('aria-expanded')) !== 'true') await r.click();
}

async function inline(label: string, action: string): Promise<void> {
  const r = row(label).first();
  await r.hover();
  await r.locator(`.action-label[aria-label^="${action}"]`).click();
}

function quickInput(): Locator {
  return page.locator('.quick-input-widget');
}

/**
 * Wait for the task terminal to show `text` (xterm keeps the visible rows in the DOM). A long line wraps
 * onto the next row, so the rows are read as one text (without the row breaks).
 */
async function terminalShows(text: RegExp, timeout = 120_000): Promise<string> {
  await page.waitForFunction(
    (src) => Array.from(document.querySelectorAll('.xterm-rows')).some((e) => new RegExp(src).test((e as HTMLElement).innerText.replace(/\n/g, ''))),
    text.source,
    { timeout },
  );
  return (await page.locator('.xterm-rows').allInnerTexts()).join('\n').replace(/\n/g, '');
}

/** Run a command by its title through the command palette. */
async function runCommand(title: string): Promise<void> {
  await page.keyboard.press('F1');
  const box = quickInput();
  await box.waitFor({ state: 'visible', timeout: STEP_MS });
  await box.locator('input.input').fill(`>${title}`);
  await box.locator('.monaco-list-row', { hasText: new RegExp(`^${escapeRe(title)}`) }).first().click({ timeout: STEP_MS });
}

/** The admin password input box: wait for it with `prompt`, type, optionally switch "remember" on, Enter. */
async function answerPassword(prompt: RegExp, password: string, remember: boolean, screenshot?: string): Promise<void> {
  const box = quickInput();
  await box.waitFor({ state: 'visible', timeout: STEP_MS });
  await box.locator('.quick-input-title').filter({ hasText: /Cyrus admin password \(sandbox-cyrus\)/ }).waitFor({ timeout: STEP_MS });
  await box.locator('.quick-input-message, .quick-input-description').filter({ hasText: prompt }).first().waitFor({ timeout: STEP_MS });
  const input = box.locator('input.input');
  assert.equal(await input.getAttribute('type'), 'password', 'the password is typed masked');
  await input.fill(password);
  if (remember) {
    await box.locator('.action-label[aria-label^="Remember: off"]').click();
    await box.locator('.quick-input-message, .quick-input-description').filter({ hasText: /will be remembered/ }).first().waitFor({ timeout: STEP_MS });
  }
  if (screenshot) await shot(screenshot);
  await input.press('Enter');
}

/** The operator confirms the view's own modal ("Undelete"). */
async function confirmModal(button: string): Promise<void> {
  const b = page.locator('.monaco-dialog-box .monaco-button', { hasText: new RegExp(`^${escapeRe(button)}$`) });
  await b.waitFor({ timeout: STEP_MS });
  await b.click();
}

describe('Mailops trust in the workbench: a repository\'s hosts and tasks, the admin password in the input box', { timeout: 600_000 }, () => {
  before(async () => {
    checkPrerequisites();
    status = requireSandboxStatus<SandboxStatus>();
    const reseed = spawnSync('bash', [path.join(REPO_ROOT, 'scripts/sandbox'), '--host', status.host.id, 'reseed', 'cyrus', USER], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(reseed.status, 0, `scripts/sandbox reseed cyrus ${USER}: ${reseed.stderr}`);
    const owner = status.cyrus.users.find((u) => u.name === USER);
    assert.ok(owner);
    const [h, p] = status.cyrus.imap.split(':');
    const c = await ImapClient.connect({ host: h!, port: Number(p) });
    await c.login(USER, owner.password);
    for (const f of [...TREE_FOLDERS, TASK_FOLDER]) await c.command(['DELETE', quoteImap(`INBOX${status.cyrus.separator}${f}`)]);
    await c.logout();

    const hostsRaw = JSON.parse(readFileSync(status.hostsFile, 'utf8')) as { hosts?: unknown[] } | unknown[];
    const hosts = Array.isArray(hostsRaw) ? hostsRaw : (hostsRaw.hosts ?? []);
    // What the repository ships: a host of its own (its hook would run as root; its IMAP address would collect
    // the admin password), and an undelete task.
    const evil = [{ name: 'repo-host', transport: 'ssh', ssh: { host: '192.0.2.66', user: 'root' }, server: 'cyrus', cyrus: { imap: '192.0.2.66:143' }, hooks: { preBackup: ['sh', '-c', 'touch /tmp/mailops-pwned'] } }];
    const tasks = { version: '2.0.0', tasks: [{ label: TASK_LABEL, type: 'mailops', action: 'undelete', host: 'sandbox-cyrus', account: USER, name: TASK_FOLDER, problemMatcher: [] }] };
    wb = await openWorkbench({
      name: 'trust',
      userSettings: { 'terminal.integrated.gpuAcceleration': 'off', 'workbench.panel.defaultLocation': 'bottom' },
      machineSettings: { 'mailops.hosts': hosts },
      files: { '.vscode/settings.json': JSON.stringify({ 'mailops.hosts': evil }, null, 2), '.vscode/tasks.json': JSON.stringify(tasks, null, 2) },
    });
    page = wb.page;
  });

  after(async () => {
    await wb?.close();
    spawnSync('bash', [path.join(REPO_ROOT, 'scripts/sandbox'), '--host', status?.host.id ?? 'd12', 'reseed', 'cyrus', USER], { encoding: 'utf8', timeout: 120_000 });
  });

  it('11.3: the repository\'s mailops.hosts is ignored: the tree lists the operator\'s hosts, a warning names the file', async () => {
    const icon = page.locator('.part.activitybar .action-item a[aria-label^="Mailops"], .part.activitybar .action-item[aria-label^="Mailops"]').first();
    await icon.click({ timeout: STEP_MS });
    await row('sandbox-cyrus').waitFor({ timeout: STEP_MS });
    await row('sandbox-dovecot').waitFor({ timeout: STEP_MS });
    assert.equal(await row('repo-host').count(), 0, 'the repository\'s host is in the tree');
    const file = path.join(wb!.workspace, '.vscode', 'settings.json');
    // The warning is given when Mailops starts; a warning toast hides itself after a few seconds, into the
    // notification centre (the bell in the status bar), so look there when the toast is gone.
    const warning = page.locator('.notification-list-item', { hasText: 'Mailops ignores the hosts set in' }).first();
    if (!(await warning.isVisible())) await runCommand('Notifications: Show Notifications');
    await warning.waitFor({ timeout: STEP_MS });
    const said = await warning.innerText();
    assert.ok(said.includes(file), `the warning names ${file}: ${said}`);
    await shot('1-workspace-hosts-ignored');
    await page.keyboard.press('Escape');
  });

  it('13.4/11.5: undelete asks for the admin password in the input box; a wrong one is refused and asked again; the right one, remembered, works', async () => {
    await expand('sandbox-cyrus');
    await expand('Deleted folders');
    const first = `${USER}: ${TREE_FOLDERS[0]}`;
    await row(first).waitFor({ timeout: STEP_MS });
    await inline(first, 'Undelete Folder');
    await confirmModal('Undelete');
    // The box appears by itself, in front; nothing waits in the notification centre.
    await answerPassword(/Password of the Cyrus admin cyrus at 127\.0\.0\.1:\d+ on sandbox-cyrus/, 'Wrong-Password-13-4', true, '2-password-box');
    assert.equal(await page.locator('.notification-toast', { hasText: /Remember/ }).count(), 0, 'no "remember" toast');
    await answerPassword(/The server refused that password \(attempt 1 of 3\)/, status.cyrus.adminPassword, true, '3-refused-asked-again');
    const text = await terminalShows(new RegExp(`OK \\(exit 0\\): ${escapeRe(TREE_FOLDERS[0]!)} is back`));
    assert.match(text, /asked in the input box at the top of the window/);
    await shot('4-undeleted');

    // The next undelete uses the remembered password: no input box. (Had the wrong one been kept, it would
    // be tried, refused, forgotten, and the box would show.)
    // The view refreshes the host when the task ends: the folder leaves "Deleted folders" (act on the rows
    // once that happened, not on rows being replaced).
    await row(first).waitFor({ state: 'detached', timeout: STEP_MS });
    await expand('Deleted folders');
    const second = `${USER}: ${TREE_FOLDERS[1]}`;
    await row(second).waitFor({ timeout: STEP_MS });
    await inline(second, 'Undelete Folder');
    await confirmModal('Undelete');
    await terminalShows(new RegExp(`OK \\(exit 0\\): ${escapeRe(TREE_FOLDERS[1]!)} is back`));
    assert.equal(await quickInput().isVisible(), false, 'the remembered password was not used: an input box asks');
  });

  it('11.3: the repository\'s undelete task asks in a modal what it will write; Cancel writes nothing; confirmed, it runs', async () => {
    const runTask = async () => {
      await runCommand('Tasks: Run Task');
      const box = quickInput();
      await box.locator('input.input').fill(TASK_LABEL);
      await box.locator('.monaco-list-row', { hasText: TASK_LABEL }).first().click({ timeout: STEP_MS });
    };
    await runTask();
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: STEP_MS });
    const said = await dialog.innerText();
    assert.match(said, new RegExp(`Undelete "${escapeRe(TASK_FOLDER)}" of ${USER} on sandbox-cyrus as "${escapeRe(TASK_FOLDER)}"\\?`));
    assert.match(said, /IMAP RENAME/);
    assert.match(said, /comes from tasks\.json/);
    await shot('5-tasks-json-modal');
    await dialog.locator('.monaco-button', { hasText: /^Cancel$/ }).click();
    await terminalShows(/not confirmed; nothing was changed/);
    assert.equal(await row(`${USER}: ${TASK_FOLDER}`).count(), 1, 'the folder is still listed as deleted');

    await runTask();
    await confirmModal('Undelete');
    await terminalShows(new RegExp(`OK \\(exit 0\\): ${escapeRe(TASK_FOLDER)} is back`));
    await shot('6-tasks-json-confirmed');
  });
});
