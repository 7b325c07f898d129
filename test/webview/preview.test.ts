/**
 * The restore preview webview in a real Chromium, without VS Code (see harness.ts):
 *   (a) 100,000 rows stream in, stay virtualised (< 200 row elements), scroll to the last row, frame times;
 *   (b) a hostile HTML mail renders with nothing running or loading (with and without the CSP behind it);
 *   (c) selection + search + date filter -> runRestore carries exactly the chosen ids and target;
 *   (d) progress (only once the extension confirmed) and the verification result; selection/filters survive a
 *       reload (vscode.setState);
 *   (e) in a 1600 px window with a 600 px side bar (and narrower and wider ones) Status and Destination show;
 *   (f) the strings come from the l10n bundle the page carries.
 *
 *   node --import tsx --test test/webview/*.test.ts
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { Frame } from 'playwright-core';
import type { PlanHeader, PreviewContent, RestoreSummary, RunRestoreCommand, WebviewMessage } from './types';
import { FIXTURE_TARGET, makeRow } from './fixtures/rows';
import type { FakeHost } from './fixtures/fakeHost';
import { measureScroll, screenshot, screenshotPath, startHarness, writeReport, type Harness, type ScrollFrames } from './harness';

const HEADER: PlanHeader = {
  origin: { engine: 'dovecot', host: 'mail1', account: 'alice@example.org', source: '2026-11-20' },
  defaultTarget: FIXTURE_TARGET,
  intoOriginalAllowed: true,
  folderTargetAllowed: true,
};

type W = Window & { __host: FakeHost; __pwned?: unknown };

/** The 95th percentile of frame times while scrolling 100,000 rows, in headless Chromium (measured: see test (a)). */
const FRAME_P95_MS = 50;

const rowCount = (page: Page): Promise<number> => page.locator('[data-testid="preview-row"]').count();
const posted = (page: Page): Promise<WebviewMessage[]> => page.evaluate(() => (window as unknown as W).__host.posted);

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.close();
});

describe('restore preview webview in Chromium', () => {
  it('(a) streams 100,000 rows, keeps fewer than 200 row elements, scrolls to the last row smoothly', async () => {
    const { page, consoleErrors } = await h.openPage();
    const N = 100_000;
    const streamMs = await page.evaluate(([n, header]) => (window as unknown as W).__host.streamPlan(n, header), [N, HEADER] as const);
    await page.waitForFunction(() => document.querySelector('[data-testid="plan-counts"]')?.textContent?.includes('100,000 shown'));
    const firstRowsMs = await page.evaluate(() => {
      const host = (window as unknown as W).__host;
      return host.firstRowAt! - host.streamStartedAt!;
    });
    const inDom = await rowCount(page);
    assert.ok(inDom > 10 && inDom < 200, `rows in the DOM: ${inDom}`);
    assert.equal(await page.locator('[data-testid="preview-row"]').first().getAttribute('data-row-id'), makeRow(0).id);
    await screenshot(page, '100k-top');

    // Frame times while scrolling (measureScroll: 240 animation frames, 20 then 375 rows per frame). The p95 is
    // the stutter a person sees. Measured on this project's machine (2 vCPUs, headless Chromium --disable-gpu):
    // p50 17-25 ms, p95 25 ms when idle and 42-43 ms with a load average of 2.7 from other work. A pass can
    // catch the machine busy, so up to 3 passes are made and the best counts; a grid that renders more than
    // its window misses in every pass (hundreds of ms per frame).
    const passes: ScrollFrames[] = [];
    do passes.push(await measureScroll(page));
    while (passes.at(-1)!.p95 > FRAME_P95_MS && passes.length < 3);
    const best = passes.reduce((a, b) => (b.p95 < a.p95 ? b : a));
    const { deltas: _deltas, maxRows: _maxRows, ...frames } = best;
    const maxRows = Math.max(...passes.map((p) => p.maxRows));
    assert.ok(maxRows < 200, `max rows in the DOM while scrolling: ${maxRows}`);
    // Bottom, wait for the window to follow.
    await page.evaluate(async () => {
      const body = document.querySelector<HTMLElement>('.grid-body')!;
      body.scrollTop = body.scrollHeight;
      for (let i = 0; i < 3; i++) await new Promise((r) => requestAnimationFrame(r));
    });
    const lastRow = page.locator(`[data-testid="preview-row"][data-pos="${N - 1}"]`);
    await lastRow.waitFor({ state: 'visible' });
    assert.equal(await lastRow.getAttribute('data-row-id'), makeRow(N - 1).id);
    assert.match((await lastRow.textContent()) ?? '', new RegExp(`#${N - 1}\\b`));
    // The last row is inside the scrolling body's viewport.
    const inView = await page.evaluate((pos) => {
      const body = document.querySelector<HTMLElement>('.grid-body')!.getBoundingClientRect();
      const row = document.querySelector<HTMLElement>(`[data-pos="${pos}"]`)!.getBoundingClientRect();
      return row.top >= body.top - 1 && row.bottom <= body.bottom + 1;
    }, N - 1);
    assert.ok(inView, 'the last row is within the viewport');
    assert.ok((await rowCount(page)) < 200);
    const tried = passes.map((p) => `p50 ${p.p50} ms, p95 ${p.p95} ms`).join('; ');
    assert.ok(frames.p50 < 50, `median frame time ${frames.p50} ms (passes: ${tried})`);
    assert.ok(frames.p95 <= FRAME_P95_MS, `p95 frame time ${frames.p95} ms > ${FRAME_P95_MS} ms in every pass (${tried})`);
    await screenshot(page, '100k-bottom');

    // Sorting 100,000 rows by size (desc) and keyboard navigation.
    const t0 = Date.now();
    await page.locator('[data-testid="sort-size"]').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="sort-size"]')?.getAttribute('aria-sort') === 'descending');
    const sortMs = Date.now() - t0;
    await page.locator('[data-testid="grid"]').focus();
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Space');
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="preview-text"]').waitFor();
    const top = await page.locator('[data-testid="preview-row"][data-pos="1"]').getAttribute('aria-selected');
    assert.equal(top, 'true');
    assert.deepEqual(consoleErrors.slice(0, 3), [], `${consoleErrors.length} console errors/warnings`);
    const report = { rows: N, streamMs: Math.round(streamMs), firstRowsMs: Math.round(firstRowsMs), rowsInDomAtRest: inDom, maxRowsInDomWhileScrolling: maxRows, frames, framePasses: passes.map((p) => ({ p50: p.p50, p95: p.p95 })), sortBySizeMs: sortMs };
    await writeReport('webview-perf.json', report);
    console.log(`[perf] ${JSON.stringify(report)}`);
    await page.close();
  });

  for (const csp of [true, false]) {
    it(`(b) a hostile HTML mail runs nothing and loads nothing (${csp ? 'with' : 'without'} the CSP behind the sanitiser)`, async () => {
      const { page, consoleErrors } = await h.openPage({ csp });
      const hitsBefore = h.trackerHits.length;
      const t = h.trackerUrl;
      const mail = hostileMail(t);
      await page.evaluate(
        async ([header, content]) => {
          const host = (window as unknown as W).__host;
          host.previews[content.id] = content;
          await host.streamPlan(3, header);
        },
        [HEADER, { id: makeRow(0).id, headers: [['From', 'Mallory <m@evil.example>'], ['Subject', 'Your invoice <script>alert(1)</script>']], text: 'plain text part', html: mail }] as [PlanHeader, PreviewContent],
      );
      await page.locator('[data-testid="preview-row"]').first().click();
      const htmlPane = page.locator('[data-testid="preview-html"]');
      await htmlPane.waitFor();
      await page.locator('text=Visible paragraph').waitFor();
      // Click the (disabled) javascript: link and the remote link: nothing may happen.
      await htmlPane.locator('a', { hasText: 'js link' }).click();
      await htmlPane.locator('a', { hasText: 'remote link' }).click();
      await page.waitForTimeout(1500);
      const pwned = await page.evaluate(() => (window as unknown as W).__pwned);
      assert.equal(pwned, undefined, 'no script from the mail ran');
      assert.deepEqual(h.trackerHits.slice(hitsBefore), [], 'the tracking server got no request');
      assert.equal(page.url().endsWith(csp ? '/index.html' : '/nocsp.html'), true, 'no navigation');
      const dom = await htmlPane.evaluate((el) => ({
        bad: el.querySelectorAll('script,style,iframe,object,embed,form,input,link,meta,base,svg,math,video,audio,noscript').length,
        handlers: [...el.querySelectorAll('*')].flatMap((e) => [...e.attributes].map((a) => a.name)).filter((n) => n.startsWith('on') || ['href', 'srcset', 'style', 'background', 'action', 'poster', 'id', 'name', 'class'].includes(n)),
        imgs: [...el.querySelectorAll('img')].map((i) => i.getAttribute('src')!.slice(0, 22)),
        text: el.textContent ?? '',
      }));
      assert.equal(dom.bad, 0);
      assert.deepEqual(dom.handlers, []);
      assert.deepEqual(dom.imgs, ['data:image/png;base64,', 'data:image/png;base64,'], 'only the inline data: images are shown');
      // track.png, the protocol-relative one and src="x" (relative: it would be fetched); the rest sat inside dropped elements.
      assert.match(dom.text, /Visible paragraph/);
      assert.match(await page.locator('[data-testid="remote-blocked"]').textContent() ?? '', /\b3 remote images blocked/);
      // The subject header is shown as text, not markup.
      assert.match((await page.locator('[data-testid="preview-headers"]').textContent()) ?? '', /<script>alert\(1\)<\/script>/);
      // Chromium applies the page's CSP while DOMParser builds the *inert* document, so the mail's inline handlers,
      // style attributes, <style> and <base> are refused (and reported) at parse time although nothing there could
      // run. Those reports are expected; any other violation (img-src, frame-src, script-src-elem, connect-src …)
      // would mean something in the live page tried to load or run, and fails the test.
      const violations = await page.evaluate(() => (window as unknown as W).__host.violations);
      const PARSE_TIME = new Set(['script-src-attr', 'style-src-attr', 'style-src-elem']);
      const unexpected = violations.filter((v) => !(PARSE_TIME.has(v.directive) && v.blockedURI === 'inline') && !(v.directive === 'base-uri' && v.blockedURI === `${t}/base/`));
      assert.deepEqual(unexpected, [], 'no load or script was attempted');
      if (!csp) assert.equal(violations.length, 0);
      const ours = consoleErrors.filter((e) => !/violates the following Content Security Policy directive/.test(e) || /img-src|frame-src|connect-src|font-src|default-src|script-src-elem/.test(e));
      assert.deepEqual(ours.slice(0, 3), [], `${ours.length} console errors/warnings`);
      await screenshot(page, csp ? 'xss' : 'xss-nocsp');
      console.log(`[xss ${csp ? 'csp' : 'no-csp'}] __pwned=${String(pwned)} trackerHits=${h.trackerHits.length - hitsBefore} cspParseTimeReports=${violations.length} unexpectedViolations=${unexpected.length} consoleErrors(other than parse-time CSP reports)=${ours.length}`);
      await page.close();
    });
  }

  it('(c) selection + search + date filter -> runRestore carries exactly the chosen ids and target', async () => {
    const { page, consoleErrors } = await h.openPage();
    await page.evaluate(([header]) => (window as unknown as W).__host.streamPlan(500, header), [HEADER] as const);
    await page.waitForFunction(() => document.querySelector('[data-testid="plan-counts"]')?.textContent?.includes('500 shown'));

    // A selection made before filtering that the filters then hide must not be restored.
    await page.locator('[data-testid="preview-row"]').first().click();

    await page.locator('[data-testid="search"] input').fill('invoice');
    await page.locator('[data-testid="date-from"] input').fill('2026-06-01');
    await page.locator('[data-testid="date-to"] input').fill('2026-06-20');
    // Expected view, computed here from the same data: subject has "invoice", UTC day within the range.
    const expectedView = Array.from({ length: 500 }, (_, i) => makeRow(i)).filter((r) => /invoice/i.test(`${r.from}\n${r.to}\n${r.subject}\n${r.folder}\n${r.destination}\n${r.messageId}`) && r.date.slice(0, 10) >= '2026-06-01' && r.date.slice(0, 10) <= '2026-06-20');
    await page.waitForFunction((n) => document.querySelector('[data-testid="plan-counts"]')?.textContent?.includes(`${n} shown`), expectedView.length);
    assert.ok(expectedView.length >= 8, `filtered rows: ${expectedView.length}`);
    const shown = await page.locator('[data-testid="preview-row"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-row-id')));
    assert.deepEqual(shown, expectedView.map((r) => r.id));

    // click #1, shift-click #5 (range 1..5), ctrl-click #3 (deselect), ctrl-click #7 (add)
    const row = (p: number) => page.locator(`[data-testid="preview-row"][data-pos="${p}"]`);
    await row(1).click();
    await row(5).click({ modifiers: ['Shift'] });
    await row(3).click({ modifiers: ['Control'] });
    await row(7).click({ modifiers: ['Control'] });
    const chosenRows = [1, 2, 4, 5, 7].map((p) => expectedView[p]!);
    const chosen = chosenRows.map((r) => r.id);
    const fresh = chosenRows.filter((r) => r.status === 'new').length;
    assert.ok(fresh > 0 && fresh < chosen.length, `the choice mixes new and already-there rows (${fresh} of ${chosen.length} new)`);
    await page.locator('[data-testid="target-folder"] input').fill('Restored/by test');
    const button = page.locator('[data-testid="restore-button"]');
    // The button counts what comes back; the chosen rows already there are skipped, and it says so.
    assert.equal((await button.textContent())?.trim(), `Restore ${fresh} messages`);
    assert.match((await page.locator('[data-testid="skipped-selected"]').textContent()) ?? '', new RegExp(`^${chosen.length - fresh} chosen messages? (is|are) already there`));
    await screenshot(page, 'selection');
    await button.click();
    const runs = (await posted(page)).filter((m): m is RunRestoreCommand => m.type === 'runRestore');
    assert.equal(runs.length, 1);
    assert.deepEqual(runs[0]!.ids, chosen);
    assert.deepEqual(runs[0]!.target, { kind: 'folder', folder: 'Restored/by test' });

    // Before the operator confirmed: no progress, the page says it waits for the dialog.
    const summary: RestoreSummary = {
      messages: fresh,
      skipped: chosen.length - fresh,
      target: { kind: 'folder', folder: 'Restored/by test' },
      destinations: [{ folder: 'Restored/by test/INBOX', messages: fresh - 1 }, { folder: 'Restored/by test/Sent', messages: 1 }],
    };
    await page.locator('[data-testid="restore-pending"][data-phase="preparing"]').waitFor();
    await page.evaluate((s) => (window as unknown as W).__host.send({ type: 'restore/confirming', summary: s }), summary);
    const pending = page.locator('[data-testid="restore-pending"][data-phase="confirming"]');
    await pending.waitFor();
    assert.match((await pending.textContent())?.replace(/\s+/g, ' ') ?? '', /Confirm in the dialog: \d+ messages? into Restored\/by test\/INBOX and 1 more folder\. Nothing has been changed yet\./);
    assert.equal(await page.locator('[data-testid="restore-progress"]').count(), 0, 'no progress before the confirmation');
    assert.equal(await button.evaluate((b) => b.hasAttribute('disabled')), true, 'the button is off while the dialog is open');
    await screenshot(page, 'confirming');

    // Confirmed: progress (the engine's structured steps), then the verification result.
    await page.evaluate((s) => {
      const host = (window as unknown as W).__host;
      host.send({ type: 'restore/started', summary: s });
      host.send({ type: 'restore/progress', progress: { done: 2, total: s.messages, unit: 'message', folder: 'Sent', destination: 'Restored/by test/Sent' } });
    }, summary);
    await page.locator('[data-testid="restore-progress"]', { hasText: `Restoring into Restored/by test/Sent: 2 of ${fresh} messages done` }).waitFor();
    await screenshot(page, 'progress');
    await page.evaluate(
      (s) => (window as unknown as W).__host.send({ type: 'restore/result', result: { restored: s.messages, skipped: s.skipped, failed: 0, target: s.target, destinations: s.destinations, verify: { checked: s.messages, missing: 0 } } }),
      summary,
    );
    const result = page.locator('[data-testid="restore-result"]');
    await result.waitFor();
    assert.equal(
      (await result.textContent())?.replace(/\s+/g, ' ').trim(),
      `Restored ${fresh} into Restored/by test/INBOX and 1 more folder; skipped ${chosen.length - fresh} already present. Verify: ${fresh} checked, missing=0.`,
    );
    await screenshot(page, 'result');

    // (d) The state survives a reload: filters, selection and target come back from vscode.setState.
    await page.waitForTimeout(400);
    await page.reload();
    await page.waitForFunction(() => (window as unknown as W).__host?.readyAt !== undefined);
    await page.evaluate(([header]) => (window as unknown as W).__host.streamPlan(500, header), [HEADER] as const);
    await page.waitForFunction((n) => document.querySelector('[data-testid="plan-counts"]')?.textContent?.includes(`${n} shown`), expectedView.length);
    assert.equal(await page.locator('[data-testid="search"] input').inputValue(), 'invoice');
    assert.equal(await page.locator('[data-testid="date-from"] input').inputValue(), '2026-06-01');
    assert.equal(await page.locator('[data-testid="target-folder"] input').inputValue(), 'Restored/by test');
    const selectedAfter = await page.locator('[data-testid="preview-row"][aria-selected="true"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-row-id')));
    assert.deepEqual(selectedAfter, chosen);
    assert.deepEqual(consoleErrors.slice(0, 3), [], `${consoleErrors.length} console errors/warnings`);
    await page.close();
  });

  it('(e) in a 1600 px window with a 600 px side bar, and at other widths, Status and Destination show for every row', async () => {
    /** The grid's columns, and whether each row's Status and Destination cells lie inside the grid and show text. */
    // (No named functions inside evaluate: the test runner's transpiler would wrap them in a helper the page lacks.)
    const measure = (frame: Frame) =>
      frame.evaluate(() => {
        const gridEl = document.querySelector<HTMLElement>('[data-testid="grid"]')!;
        const grid = gridEl.getBoundingClientRect();
        const cells = [
          ...['status', 'destination'].map((k) => document.querySelector(`[data-testid="sort-${k}"]`)),
          ...[...document.querySelectorAll('[data-testid="preview-row"]')]
            .filter((r) => r.getBoundingClientRect().bottom <= grid.bottom)
            .flatMap((r) => [r.querySelector('[data-testid="cell-status"] vscode-badge'), r.querySelector('[data-testid="cell-destination"]')]),
        ];
        const shown = cells.map((el) => {
          const r = el?.getBoundingClientRect();
          return !!r && r.width >= 20 && r.left >= grid.left - 1 && r.right <= grid.right + 1 && (el!.textContent ?? '').trim() !== '';
        });
        return {
          gridWidth: Math.round(grid.width),
          columns: gridEl.getAttribute('data-columns'),
          headers: shown.slice(0, 2),
          rows: (cells.length - 2) / 2,
          bad: shown.slice(2).filter((ok) => !ok).length,
        };
      });
    const seen: string[] = [];
    for (const sidebar of [600, 300, 900, 1200]) {
      const { page, frame, consoleErrors } = await h.openInWindow({ width: 1600, height: 900, sidebar });
      await frame.evaluate(([header]) => (window as unknown as W).__host.streamPlan(300, header), [HEADER] as const);
      await frame.waitForFunction(() => document.querySelector('[data-testid="plan-counts"]')?.textContent?.includes('300 shown'));
      await frame.locator('[data-testid="preview-row"]').nth(3).click();
      const m = await measure(frame);
      seen.push(`side bar ${sidebar} px: grid ${m.gridWidth} px, columns ${m.columns}`);
      assert.deepEqual(m.headers, [true, true], `Status and Destination headers with a ${sidebar} px side bar: ${JSON.stringify(m)}`);
      assert.ok(m.rows > 10, `rows on screen: ${m.rows}`);
      assert.equal(m.bad, 0, `rows whose Status or Destination is cut off or empty, side bar ${sidebar} px: ${JSON.stringify(m)}`);
      // A new row says where it goes; a row already there says where it is.
      const statuses = await frame.locator('[data-testid="preview-row"] [data-testid="cell-status"]').allTextContents();
      assert.ok(statuses.some((t) => t.trim() === 'new') && statuses.some((t) => t.trim() === 'already there'), statuses.join('|'));
      const present = frame.locator('[data-testid="preview-row"][data-status="present"]').first();
      assert.equal((await present.locator('[data-testid="cell-destination"]').textContent())?.trim(), makeRow(3).folder);
      if (sidebar === 600) {
        await page.screenshot({ path: await screenshotPath('wide') });
        console.log(`[wide] screenshot test-results/screenshots/preview-wide.png: ${seen.at(-1)}`);
      }
      assert.deepEqual(consoleErrors.slice(0, 3), [], `${consoleErrors.length} console errors/warnings`);
      await page.close();
    }
    console.log(`[wide] ${seen.join('; ')}`);
  });

  it('(f) the strings come from the l10n bundle the page carries (vscode.l10n.bundle), English where it has none', async () => {
    const bundle = {
      '{0} messages, {1} shown': '{0} Nachrichten, {1} angezeigt',
      Refresh: 'Aktualisieren',
      Destination: 'Ziel',
      'already there': 'schon da',
      'Restore {0} messages': '{0} Nachrichten wiederherstellen',
    };
    const { page, consoleErrors } = await h.openPage({ l10n: bundle });
    await page.evaluate(([header]) => (window as unknown as W).__host.streamPlan(20, header), [HEADER] as const);
    await page.locator('[data-testid="plan-counts"]', { hasText: '20 Nachrichten, 20 angezeigt' }).waitFor();
    assert.equal((await page.locator('[data-testid="refresh"]').textContent())?.trim(), 'Aktualisieren');
    assert.equal((await page.locator('[data-testid="sort-destination"]').textContent())?.trim(), 'Ziel');
    assert.equal((await page.locator('[data-testid="preview-row"][data-status="present"] [data-testid="cell-status"]').first().textContent())?.trim(), 'schon da');
    await page.locator('[data-testid="preview-row"]').nth(0).click();
    await page.locator('[data-testid="preview-row"]').nth(1).click({ modifiers: ['Control'] });
    assert.equal((await page.locator('[data-testid="restore-button"]').textContent())?.trim(), '2 Nachrichten wiederherstellen');
    // Not in the bundle: English.
    assert.equal((await page.locator('[data-testid="sort-subject"]').textContent())?.trim(), 'Subject');
    assert.deepEqual(consoleErrors.slice(0, 3), []);
    await screenshot(page, 'l10n');
    await page.close();
  });
});

/** Every way a mail has tried to run code or phone home; `t` is the tracking server's origin. */
function hostileMail(t: string): string {
  const png = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
  return `<!DOCTYPE html><html><head>
<base href="${t}/base/">
<meta http-equiv="refresh" content="0;url=${t}/refresh">
<link rel="stylesheet" href="${t}/style.css">
<style>body{background:url(${t}/css-bg.png)} @import url(${t}/import.css);</style>
<script>window.__pwned = 'head script'</script>
</head><body onload="window.__pwned='body onload'">
<p>Visible paragraph <b>bold</b> <i>italic</i></p>
<script>window.__pwned = 'script'</script>
<img src="${t}/track.png" width="1" height="1">
<img src="//127.0.0.1:${new URL(t).port}/protocol-relative.png">
<img src="x" onerror="window.__pwned='img onerror'">
<img src="${png}" srcset="${t}/srcset.png 2x" alt="inline pixel" onload="window.__pwned='img onload'">
<img src="${png}" alt="second inline">
<svg onload="window.__pwned='svg onload'"><image href="${t}/svg-image.png"/></svg>
<iframe src="${t}/iframe" srcdoc="<script>parent.__pwned='srcdoc'</script>"></iframe>
<object data="${t}/object"></object><embed src="${t}/embed">
<video poster="${t}/poster.png"><source src="${t}/video.mp4"></video>
<form action="${t}/form"><input type="image" src="${t}/input.png"><button formaction="${t}/fa">go</button></form>
<table background="${t}/table-bg.png"><tr><td style="background-image:url(${t}/td-bg.png)">cell</td></tr></table>
<div style="background:url(${t}/div-bg.png)" id="__host" class="x">styled div</div>
<a href="javascript:window.__pwned='js link'">js link</a>
<a href="${t}/click">remote link</a>
<a href="data:text/html,<script>parent.__pwned='data link'</script>">data link</a>
<math><mtext><table><mglyph><style><img src=x onerror="window.__pwned='mxss'"></style></mglyph></table></mtext></math>
<noscript><p title="</noscript><img src=x onerror=window.__pwned='noscript'>"></p></noscript>
<details open ontoggle="window.__pwned='ontoggle'"><summary>details</summary>inside</details>
<template><img src="${t}/template.png"></template>
</body></html>`;
}
