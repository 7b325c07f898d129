/**
 * The restore preview inside a real VS Code: the panel opens with an in-memory data source (test data, not an
 * engine), becomes visible, and its webview boots under the nonce CSP and asks for the plan (`ready` reached the
 * router, which then streamed all rows); a preview request would be answered through the same router.
 * Reaching the webview's elements from a UI test: see the report in the PR / webview/app.ts data-testid values.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { PreviewDataSource } from '../../../src/extension/preview/dataSource';
import { MailopsEvents } from '../../../src/extension/events';
import { RestorePreviewPanel } from '../../../src/extension/preview/panel';
import { PREVIEW_VIEW_TYPE, type PreviewRow } from '../../../src/shared/previewProtocol';
import { listMessages } from '../../../src/core/dovecot/messages';
import { dovecotEngine } from '../../../src/extension/preview/sources/dovecotEngine';
import { EXTENSION_ID, activateMailops, waitFor } from './helpers';
import { requireSandbox, useSandboxHosts } from './sandbox';

function memorySource(rows: PreviewRow[], events: string[], source = 'mirror'): PreviewDataSource {
  const origin = { engine: 'dovecot', host: 'suite-host', account: 'alice@example.org', source } as const;
  return {
    origin,
    header: () => ({ origin, defaultTarget: 'Restored/2026-11-22 0415', intoOriginalAllowed: true, folderTargetAllowed: true }),
    async *loadPlan() {
      events.push('loadPlan');
      yield rows;
      events.push('loaded');
    },
    async preview(id) {
      return { id, headers: [['Subject', id]], text: 'text' };
    },
    async prepareRestore() {
      throw new Error('not used by this suite');
    },
  };
}

describe('Restore preview panel', () => {
  it('registers the hidden command and the serializer activation event', async () => {
    await activateMailops();
    assert.ok((await vscode.commands.getCommands(true)).includes('mailops.restore.preview'));
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { activationEvents: string[] };
    assert.ok(pkg.activationEvents.includes(`onWebviewPanel:${PREVIEW_VIEW_TYPE}`));
  });

  it('opens with a data source, becomes visible, and its webview asks for the plan', async () => {
    await activateMailops();
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const events: string[] = [];
    const rows: PreviewRow[] = Array.from({ length: 3000 }, (_, i) => ({
      id: `INBOX\u0000${i + 1}`, uid: i + 1, from: `sender${i}@example.org`, subject: `Message ${i}`, date: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
      size: 1000 + i, folder: 'INBOX', destination: i % 4 === 0 ? 'INBOX' : 'Restored/2026-11-22 0415/INBOX', status: i % 4 === 0 ? 'present' : 'new', source: 'dovecot',
    }));
    const panel = await RestorePreviewPanel.show(ext.extensionUri, memorySource(rows, []).origin, async () => memorySource(rows, events));
    try {
      await waitFor('the panel is visible', () => panel.panel.visible, 15_000);
      assert.equal(panel.panel.viewType, PREVIEW_VIEW_TYPE);
      assert.match(panel.panel.title, /alice@example\.org/);
      assert.equal(panel.panel.webview.options.enableScripts, true);
      assert.match(panel.panel.webview.html, /Content-Security-Policy/);
      assert.match(panel.panel.webview.html, /default-src 'none'/);
      // `ready` comes from the webview's bundle: it loaded through asWebviewUri under the CSP and ran.
      await waitFor('the webview sent ready and the plan was streamed', () => events.includes('loaded'), 30_000);
      // Showing it again reveals the same panel rather than opening a second one.
      const again = await RestorePreviewPanel.show(ext.extensionUri, memorySource(rows, []).origin, async () => memorySource(rows, []));
      assert.equal(again, panel);
    } finally {
      panel.dispose();
    }
  });
});

describe('Restore preview and the editor\'s events', () => {
  it('names the set in the tab, and reloads its plan when a restore into its account is published', async () => {
    await activateMailops();
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const hub = new MailopsEvents();
    const loads: string[] = [];
    const rows: PreviewRow[] = [{ id: 'INBOX\u00001', uid: 1, from: 'a@example.org', subject: 'one', date: '', size: 10, folder: 'INBOX', destination: 'Restored/x/INBOX', status: 'new', source: 'dovecot' }];
    const mirror = await RestorePreviewPanel.show(ext.extensionUri, memorySource(rows, []).origin, async () => memorySource(rows, loads), { events: hub });
    const archive = await RestorePreviewPanel.show(ext.extensionUri, memorySource(rows, [], 'archive:20261122T041500Z-1').origin, async () => memorySource(rows, [], 'archive:20261122T041500Z-1'), { events: hub });
    try {
      // Two previews of one account differ by their set.
      assert.equal(mirror.panel.title, 'Restore alice@example.org on suite-host: mirror');
      assert.equal(archive.panel.title, 'Restore alice@example.org on suite-host: archive 20261122T041500Z-1');
      mirror.panel.reveal();
      const loaded = (): number => loads.filter((e) => e === 'loaded').length;
      await waitFor('the mirror preview loaded its plan', () => loaded() >= 1, 30_000);
      // (A webview made visible again asks for the plan again: wait until the revealed one has.)
      await new Promise((r) => setTimeout(r, 1500));
      const base = loaded();
      // Another account, or this panel's own event: no reload.
      hub.fireRestored({ host: 'suite-host', account: 'bob', engine: 'dovecot', source: 'mirror', folders: ['INBOX'] });
      hub.fireRestored({ host: 'suite-host', account: 'alice@example.org', engine: 'dovecot', source: 'mirror', folders: ['INBOX'], by: mirror.key });
      // A restore into this account from elsewhere (the archive's preview, a task): the plan is made again.
      hub.fireRestored({ host: 'suite-host', account: 'alice@example.org', engine: 'dovecot', source: 'archive:20261122T041500Z-1', folders: ['Restored/x/INBOX'], by: archive.key });
      await waitFor('the mirror preview reloaded its plan', () => loaded() === base + 1, 30_000);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(loaded(), base + 1, 'exactly one reload');
    } finally {
      mirror.dispose();
      archive.dispose();
      hub.dispose();
    }
  });
});

describe('Dovecot preview source on the sandbox', function () {
  this.timeout(120_000);

  it('previews a message of a set: decoded headers and its text', async function () {
    const status = requireSandbox();
    const api = await activateMailops();
    const restore = await useSandboxHosts(status);
    try {
      await waitFor('the sandbox host is configured', () => {
        try {
          return api.connections!.get('sandbox-dovecot');
        } catch {
          return undefined;
        }
      });
      const ctx = api.connections!.get('sandbox-dovecot');
      // carol's live INBOX (other suites restore into it: take the first seeded message found there).
      let found: { uid: number; guid: string } | undefined;
      for await (const m of listMessages(ctx, 'carol', 'INBOX')) {
        if (/^<seed\.carol\.inbox\.\d+@/.test(m.messageId ?? '')) {
          found = m;
          break;
        }
      }
      assert.ok(found, 'a seeded message in carol\'s INBOX');
      const p = await dovecotEngine(ctx, 'carol', 'live').preview!('INBOX', found.uid, found.guid, new AbortController().signal);
      assert.match(p.text, /Hello carol,/);
      assert.ok(p.headers.some(([k, v]) => k === 'Message-ID' && /^<seed\.carol\.inbox\./.test(v)));
    } finally {
      await restore();
    }
  });
});
