import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExtensionMessage, PlanHeader, PreviewRow, PreviewViewState, RestoreSummary, WebviewMessage } from '../../../src/shared/previewProtocol';
import { PreviewStore, type DetailPane, type RestorePhase } from '../../../webview/store';
import { FIXTURE_TARGET, makeRow } from '../../webview/fixtures/rows';

process.env.TZ = 'UTC';

const HEADER: PlanHeader = {
  origin: { engine: 'dovecot', host: 'mail1', account: 'alice', source: 'mirror' },
  defaultTarget: FIXTURE_TARGET,
  intoOriginalAllowed: true,
  folderTargetAllowed: true,
};
const NOW = { recomputeMs: 0, filterMs: 0, selectMs: 0, targetMs: 0 };
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));
/** Read through a call: the assertions would otherwise narrow the fields' types for the rest of a test. */
const phase = (s: PreviewStore): RestorePhase => s.restore;
const detail = (s: PreviewStore): DetailPane => s.detail;

function setup(saved?: PreviewViewState) {
  const posted: WebviewMessage[] = [];
  let persisted = 0;
  let renders = 0;
  const store = new PreviewStore({ post: (m) => posted.push(m), persist: () => persisted++ }, saved, NOW);
  store.subscribe(() => renders++);
  const load = (rows: PreviewRow[], loadId = 1, header: PlanHeader = HEADER): void => {
    const msgs: ExtensionMessage[] = [
      { type: 'plan/start', header, loadId },
      { type: 'plan/rows', loadId, seq: 0, rows },
      { type: 'plan/end', loadId, total: rows.length, header: { ...header, target: { kind: 'folder', folder: header.defaultTarget } } },
    ];
    for (const m of msgs) store.receive(m);
  };
  return { store, posted, load, persisted: () => persisted, renders: () => renders };
}

const rows = (n: number): PreviewRow[] => Array.from({ length: n }, (_, i) => makeRow(i));
const summary: RestoreSummary = { messages: 2, skipped: 0, target: { kind: 'folder', folder: FIXTURE_TARGET }, destinations: [{ folder: `${FIXTURE_TARGET}/INBOX`, messages: 2 }] };

describe('preview store', () => {
  it('takes the plan as it streams, ignores chunks of an older load, and counts the chosen new rows', () => {
    const { store, load, renders } = setup();
    load(rows(10));
    store.receive({ type: 'plan/rows', loadId: 0, seq: 0, rows: [makeRow(99)] });
    assert.equal(store.records.length, 10);
    assert.equal(store.loading, false);
    assert.ok(renders() >= 3);
    // Rows 0..4: row 3 is already there (fixture: i % 5 === 3).
    store.clickRow(0, { shift: false, toggle: false });
    store.clickRow(4, { shift: true, toggle: false });
    assert.deepEqual(store.restoreIds, [0, 1, 2, 3, 4].map((i) => makeRow(i).id));
    assert.equal(store.newChosen, 4);
    assert.equal(store.canRestore, true);
    assert.deepEqual(store.effectiveTarget, { kind: 'folder', folder: FIXTURE_TARGET }, 'the plan\'s target, as the engine settled it');
  });

  it('says nothing of progress before the extension confirms: preparing, confirming, then running', () => {
    const { store, posted, load } = setup();
    load(rows(3));
    store.clickRow(0, { shift: false, toggle: false });
    store.clickRow(1, { shift: false, toggle: true });
    store.runRestore();
    assert.deepEqual(posted.at(-1), { type: 'runRestore', ids: [makeRow(0).id, makeRow(1).id], target: { kind: 'folder', folder: FIXTURE_TARGET } });
    assert.deepEqual(store.restore, { phase: 'preparing', count: 2 });
    assert.equal(store.canRestore, false, 'one restore at a time');
    store.receive({ type: 'restore/confirming', summary });
    assert.equal(phase(store).phase, 'confirming');
    store.receive({ type: 'restore/progress', progress: { done: 1, total: 2, unit: 'message' } });
    assert.equal(phase(store).phase, 'confirming', 'progress before the start is ignored');
    store.receive({ type: 'restore/declined' });
    assert.deepEqual(store.restore, { phase: 'idle' });
    store.runRestore();
    store.receive({ type: 'restore/confirming', summary });
    store.receive({ type: 'restore/started', summary });
    store.receive({ type: 'restore/progress', progress: { done: 1, total: 2, unit: 'message', folder: 'INBOX', destination: `${FIXTURE_TARGET}/INBOX` } });
    const running = phase(store);
    assert.ok(running.phase === 'running' && running.progress?.done === 1);
  });

  it('after a restore the plan comes again: the restored rows are already there and the button is off; choices are kept', () => {
    const { store, load } = setup();
    load(rows(3));
    store.clickRow(1, { shift: false, toggle: false });
    store.setTargetFolder('Restored/mine');
    store.runRestore();
    store.receive({ type: 'restore/started', summary });
    store.receive({ type: 'restore/result', result: { restored: 1, skipped: 0, failed: 0, target: { kind: 'folder', folder: 'Restored/mine' }, destinations: [{ folder: 'Restored/mine/Sent', messages: 1 }], verify: { checked: 1, missing: 0 } } });
    load(rows(3).map((r, i) => (i === 1 ? { ...r, status: 'present' as const, destination: 'Restored/mine/Sent' } : r)), 2);
    assert.equal(store.restore.phase, 'done', 'the result stays on screen');
    assert.deepEqual(store.restoreIds, [makeRow(1).id], 'the selection survives the reload');
    assert.equal(store.newChosen, 0);
    assert.equal(store.canRestore, false);
    assert.deepEqual(store.target, { kind: 'folder', folder: 'Restored/mine' });
  });

  it('forgets the saved choices of another plan, keeps those of this one', () => {
    const saved: PreviewViewState = { v: 1, origin: { ...HEADER.origin, account: 'bob' }, selected: [makeRow(0).id], filters: { text: 'x', dateFrom: '', dateTo: '', status: 'all' }, sort: null, scrollTop: 240, target: { kind: 'original' } };
    const other = setup(saved);
    other.load(rows(3));
    assert.deepEqual([...other.store.selected], []);
    assert.equal(other.store.target, undefined);
    const same = setup({ ...saved, origin: HEADER.origin, filters: { text: '', dateFrom: '', dateTo: '', status: 'all' } });
    assert.deepEqual(same.store.readyMessage(), { type: 'ready', protocol: 2, target: { kind: 'original' } }, 'the kept target is planned for at once');
    same.load(rows(3));
    assert.deepEqual([...same.store.selected], [makeRow(0).id]);
    assert.deepEqual(same.store.effectiveTarget, { kind: 'original' });
  });

  it('checks a typed target at once, sends it when typing pauses, and sends a pending one before a restore', async () => {
    const { store, posted, load } = setup();
    load(rows(2));
    store.setTargetFolder('Restored/');
    assert.equal(store.targetProblem, 'emptySegment');
    assert.equal(store.canRestore, false);
    store.setTargetFolder('Restored/typed');
    await tick();
    assert.deepEqual(posted.filter((m) => m.type === 'setTarget'), [{ type: 'setTarget', target: { kind: 'folder', folder: 'Restored/typed' } }]);
    // Typed and restored at once: the extension hears the target first.
    const slow = new PreviewStore({ post: (m) => posted.push(m), persist: () => undefined }, undefined, { ...NOW, targetMs: 60_000 });
    slow.receive({ type: 'plan/start', header: HEADER, loadId: 1 });
    slow.receive({ type: 'plan/rows', loadId: 1, seq: 0, rows: rows(1) });
    slow.receive({ type: 'plan/end', loadId: 1, total: 1 });
    slow.clickRow(0, { shift: false, toggle: false });
    const from = posted.length;
    slow.setTargetFolder('Restored/now');
    slow.runRestore();
    assert.deepEqual(
      posted.slice(from).filter((m) => m.type !== 'select' && m.type !== 'request').map((m) => m.type),
      ['setTarget', 'runRestore'],
    );
  });

  it('matches message previews to the newest request only', () => {
    const { store, posted, load } = setup();
    load(rows(3));
    store.clickRow(0, { shift: false, toggle: false });
    store.clickRow(1, { shift: false, toggle: false });
    const requests = posted.filter((m) => m.type === 'request');
    assert.equal(requests.length, 2);
    const [first, second] = requests.map((m) => (m.type === 'request' ? m.requestId : -1));
    store.receive({ type: 'response', requestId: first!, method: 'preview', ok: true, result: { id: makeRow(0).id, headers: [], text: 'old' } });
    assert.equal(detail(store).state, 'loading');
    store.receive({ type: 'response', requestId: second!, method: 'preview', ok: true, result: { id: makeRow(1).id, headers: [], text: 'new' } });
    const shown = detail(store);
    assert.ok(shown.state === 'ready' && shown.content.text === 'new');
  });

  it('filters go back to the top of the list; the selection hidden by them is not restored', async () => {
    const { store, load } = setup();
    load(rows(40));
    store.clickRow(0, { shift: false, toggle: false });
    store.scrolledTo(300);
    store.setFilters({ text: 'Sent' }, true);
    await tick();
    assert.equal(store.pendingScrollTop, 0);
    assert.ok(store.view.length > 0 && store.view.every((i) => store.records[i]!.row.folder === 'Sent' || /sent/i.test(store.records[i]!.haystack)));
    assert.deepEqual(store.restoreIds, [], 'row 0 is in INBOX: hidden, so not chosen');
  });
});
