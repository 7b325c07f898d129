import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planDestinations, selectFromPlan } from '../../../src/core/dovecot/planSelection';
import type { RestorePlan, RestoreResult } from '../../../src/core/dovecot/types';
import { PLAN_CHUNK_SIZE, isExtensionMessage, type ExtensionMessage, type PreviewRow, type RestoreProgress, type RestoreSummary, type RestoreTarget } from '../../../src/shared/previewProtocol';
import type { PreviewDataSource } from '../../../src/extension/preview/dataSource';
import { PreviewRouter } from '../../../src/extension/preview/router';
import { dovecotSource, planToRows } from '../../../src/extension/preview/sources/dovecot';
import { cyrusSource, groupByFolder } from '../../../src/extension/preview/sources/cyrus';
import { makeRow } from '../../webview/fixtures/rows';

const origin = { engine: 'dovecot', host: 'mail1', account: 'alice', source: 'mirror' } as const;

interface Calls {
  loads: Array<RestoreTarget | undefined>;
  prepared?: [readonly string[], RestoreTarget];
  ran: number;
}

/** Rows come back as they are until a restore ran; then the restored ones are `present` (as the engine would plan). */
function fakeSource(rows: PreviewRow[], calls: Calls): PreviewDataSource {
  let restored = new Set<string>();
  return {
    origin,
    header: () => ({ origin, defaultTarget: 'Restored/x', target: calls.loads.at(-1) ?? { kind: 'folder', folder: 'Restored/x' }, intoOriginalAllowed: true, folderTargetAllowed: true }),
    async *loadPlan(target) {
      calls.loads.push(target);
      const now = rows.map((r) => (restored.has(r.id) ? { ...r, status: 'present' as const } : r));
      for (let i = 0; i < now.length; i += 777) yield now.slice(i, i + 777);
    },
    async preview(id) {
      return { id, headers: [['Subject', id]], text: 'body' };
    },
    async prepareRestore(ids, target) {
      calls.prepared = [ids, target];
      const fresh = ids.filter((id) => !restored.has(id) && rows.find((r) => r.id === id)?.status === 'new');
      const summary: RestoreSummary = { messages: fresh.length, skipped: ids.length - fresh.length, target, destinations: [{ folder: 'Restored/x/INBOX', messages: fresh.length }] };
      return {
        summary,
        async run(progress) {
          calls.ran++;
          progress({ done: 0, total: fresh.length, unit: 'message', folder: 'INBOX', destination: 'Restored/x/INBOX' });
          restored = new Set([...restored, ...fresh]);
          return { restored: fresh.length, skipped: summary.skipped, failed: 0, target, destinations: summary.destinations, verify: { checked: fresh.length, missing: 0 } };
        },
      };
    },
  };
}

function harness(rows: PreviewRow[], answer = true) {
  const sent: ExtensionMessage[] = [];
  const logs: string[] = [];
  const calls: Calls = { loads: [], ran: 0 };
  const asked: RestoreSummary[] = [];
  const published: RestoreSummary[] = [];
  const router = new PreviewRouter(fakeSource(rows, calls), {
    post: async (m) => {
      assert.ok(isExtensionMessage(m, true), `router sent an invalid message: ${JSON.stringify(m).slice(0, 200)}`);
      sent.push(m);
      return true;
    },
    confirm: async (s) => {
      asked.push(s);
      // What the webview has seen when the dialog opens: no progress, no "started".
      assert.deepEqual(sent.filter((m) => m.type === 'restore/started' || m.type === 'restore/progress'), []);
      return answer;
    },
    log: (_l, m) => logs.push(m),
    restored: (s) => published.push(s),
  });
  return { router, sent, logs, calls, asked, published };
}

const types = (sent: ExtensionMessage[]): string[] => sent.map((m) => m.type);

describe('preview router (extension side)', () => {
  it('streams the plan in chunks of PLAN_CHUNK_SIZE after ready, ending with the header the engine settled', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => makeRow(i));
    const { router, sent, calls } = harness(rows);
    await router.receive({ type: 'ready', protocol: 2 });
    assert.equal(sent[0]!.type, 'plan/start');
    const chunks = sent.filter((m) => m.type === 'plan/rows');
    assert.deepEqual(chunks.map((c) => (c.type === 'plan/rows' ? c.rows.length : 0)), [PLAN_CHUNK_SIZE, PLAN_CHUNK_SIZE, 1000]);
    const end = sent.at(-1)!;
    assert.ok(end.type === 'plan/end' && end.total === 5000 && end.loadId === 1 && end.header?.defaultTarget === 'Restored/x');
    assert.deepEqual(calls.loads, [undefined]);
  });

  it('plans for the target kept from before a reload, and again when the operator picks another one', async () => {
    const { router, calls } = harness([makeRow(0)]);
    await router.receive({ type: 'ready', protocol: 2, target: { kind: 'folder', folder: 'Kept' } });
    await router.receive({ type: 'setTarget', target: { kind: 'folder', folder: 'Kept' } }); // the plan is for it already
    await router.receive({ type: 'setTarget', target: { kind: 'original' } });
    assert.deepEqual(calls.loads, [{ kind: 'folder', folder: 'Kept' }, { kind: 'original' }]);
  });

  it('drops invalid messages and refuses ids that are not in the plan', async () => {
    const { router, sent, logs, calls } = harness([makeRow(0), makeRow(1)]);
    await router.receive({ type: 'ready', protocol: 2 });
    const before = sent.length;
    await router.receive({ type: 'runRestore', ids: ['x'], target: { kind: 'shell' } });
    await router.receive('<script>');
    assert.equal(sent.length, before);
    assert.equal(logs.filter((l) => l.includes('dropped an invalid message')).length, 2);
    await router.receive({ type: 'runRestore', ids: ['not-in-plan'], target: { kind: 'original' } });
    assert.equal(calls.prepared, undefined);
    const last = sent.at(-1)!;
    assert.ok(last.type === 'error' && last.scope === 'restore' && last.error.message === '1 of the chosen messages is not in the current plan.');
  });

  it('answers a preview request with the matching requestId', async () => {
    const { router, sent } = harness([makeRow(0), makeRow(1), makeRow(2)]);
    await router.receive({ type: 'ready', protocol: 2 });
    await router.receive({ type: 'request', requestId: 42, method: 'preview', params: { id: makeRow(1).id } });
    const resp = sent.at(-1)!;
    assert.ok(resp.type === 'response' && resp.requestId === 42 && resp.ok && resp.result.id === makeRow(1).id);
  });

  it('plans the chosen rows again, asks with that plan, runs it, and reloads: the restored rows are then present', async () => {
    const { router, sent, calls, asked, published } = harness([makeRow(0), makeRow(1), makeRow(2)]);
    await router.receive({ type: 'ready', protocol: 2 });
    const from = sent.length;
    await router.receive({ type: 'runRestore', ids: [makeRow(0).id, makeRow(2).id, makeRow(2).id], target: { kind: 'folder', folder: 'Restored/x' } });
    assert.deepEqual(calls.prepared, [[makeRow(0).id, makeRow(2).id], { kind: 'folder', folder: 'Restored/x' }]);
    assert.deepEqual(asked, [{ messages: 2, skipped: 0, target: { kind: 'folder', folder: 'Restored/x' }, destinations: [{ folder: 'Restored/x/INBOX', messages: 2 }] }]);
    assert.deepEqual(types(sent.slice(from)), ['restore/confirming', 'restore/started', 'restore/progress', 'restore/result', 'plan/start', 'plan/rows', 'plan/end']);
    const progress = sent.find((m) => m.type === 'restore/progress');
    assert.deepEqual(progress?.type === 'restore/progress' && progress.progress, { done: 0, total: 2, unit: 'message', folder: 'INBOX', destination: 'Restored/x/INBOX' } satisfies RestoreProgress);
    const reloaded = sent.filter((m) => m.type === 'plan/rows').at(-1)!;
    assert.ok(reloaded.type === 'plan/rows');
    assert.deepEqual(reloaded.rows.map((r) => r.status), ['present', 'new', 'present']);
    assert.equal(published.length, 1, 'the restore is published once');
    // The same choice again: nothing left to restore; the operator is told, not asked.
    await router.receive({ type: 'runRestore', ids: [makeRow(0).id], target: { kind: 'folder', folder: 'Restored/x' } });
    assert.equal(asked.length, 1);
    assert.equal(calls.ran, 1);
    const told = sent.findLast((m) => m.type === 'error');
    assert.ok(told?.type === 'error' && told.scope === 'restore' && /already in the account/.test(told.error.message));
  });

  it('does nothing when the operator declines: no progress, no result, no reload', async () => {
    const { router, sent, calls, published } = harness([makeRow(0)], false);
    await router.receive({ type: 'ready', protocol: 2 });
    const from = sent.length;
    await router.receive({ type: 'runRestore', ids: [makeRow(0).id], target: { kind: 'original' } });
    assert.equal(calls.ran, 0);
    assert.deepEqual(types(sent.slice(from)), ['restore/confirming', 'restore/declined']);
    assert.deepEqual(published, []);
  });
});

const pm = (uid: number, folder: string, guid: string) => ({ uid, guid, messageId: `<m${uid}@x>`, from: 'A <a@x>', subject: `s${uid}`, date: '2026-01-01T00:00:00.000Z', size: 100 + uid, folder, destination: `Restored/x/${folder}` });
const plan = (): RestorePlan => ({
  host: 'mail1', account: 'alice', source: { kind: 'mirror' }, sourceLabel: 'mirror', selection: {}, target: { mode: 'new-folder', folder: 'Restored/2026-11-22 0415' }, separator: '/', createdAt: '2026-11-22T04:15:00Z',
  toRestore: [pm(1, 'INBOX', 'g1'), pm(2, 'INBOX', 'g2'), pm(1, 'Sent', 'g3')], alreadyPresent: [{ ...pm(3, 'INBOX', 'g4'), destination: 'INBOX', presentBy: 'guid' }], missingMailboxes: [], totals: { toRestore: 3, alreadyPresent: 1, bytes: 306 },
});

describe('the engine narrows a plan to a selection and names its destinations', () => {
  it('selectFromPlan keeps both lists in order and counts the totals; planDestinations groups by live folder', () => {
    const p = selectFromPlan(plan(), (m) => m.guid !== 'g2');
    assert.deepEqual(p.toRestore.map((m) => m.guid), ['g1', 'g3']);
    assert.deepEqual(p.alreadyPresent.map((m) => m.guid), ['g4']);
    assert.deepEqual(p.totals, { toRestore: 2, alreadyPresent: 1, bytes: 101 + 101 });
    assert.deepEqual(planDestinations(plan()), [{ folder: 'Restored/x/INBOX', messages: 2 }, { folder: 'Restored/x/Sent', messages: 1 }]);
  });
});

describe('engine sources map onto the one row type', () => {
  it('Dovecot: toRestore -> new, alreadyPresent -> present, with the engine\'s destinations', async () => {
    const rows = [...planToRows(plan())].flat();
    assert.deepEqual(
      rows.map((r) => [r.id, r.status, r.messageId, r.destination]),
      [['INBOX\u00001', 'new', 'm1@x', 'Restored/x/INBOX'], ['INBOX\u00002', 'new', 'm2@x', 'Restored/x/INBOX'], ['Sent\u00001', 'new', 'm1@x', 'Restored/x/Sent'], ['INBOX\u00003', 'present', 'm3@x', 'INBOX']],
    );
  });

  it('Dovecot: plans for the asked target; prepares exactly the chosen rows; passes the engine\'s progress through', async () => {
    let applied: RestorePlan | undefined;
    const planned: Array<unknown> = [];
    const src = dovecotSource(origin, {
      plan: async (target) => {
        planned.push(target);
        return { ...plan(), target: target ?? plan().target };
      },
      apply: async (p, onProgress): Promise<RestoreResult> => {
        applied = p;
        onProgress({ done: 0, total: p.toRestore.length, unit: 'message', folder: 'Sent', destination: 'Restored/x/Sent' });
        return { dryRun: false, plan: p, opId: 'r-1', restored: p.toRestore.map((m) => ({ folder: m.destination, guid: m.guid })), notConfirmed: [], opsLog: '/x' };
      },
    });
    for await (const _ of src.loadPlan(undefined, new AbortController().signal));
    assert.equal(src.header().defaultTarget, 'Restored/2026-11-22 0415', 'the default folder is the engine\'s');
    assert.deepEqual(src.header().target, { kind: 'folder', folder: 'Restored/2026-11-22 0415' });
    for await (const _ of src.loadPlan({ kind: 'original' }, new AbortController().signal));
    assert.deepEqual(src.header().target, { kind: 'original' });
    assert.equal(src.header().defaultTarget, 'Restored/2026-11-22 0415', 'a plan for another target keeps the default folder');
    const prepared = await src.prepareRestore(['Sent\u00001', 'INBOX\u00003'], { kind: 'folder', folder: 'Restored/y' }, new AbortController().signal);
    assert.deepEqual(planned, [undefined, { mode: 'original' }, { mode: 'new-folder', folder: 'Restored/y' }]);
    assert.deepEqual(prepared.summary, { messages: 1, skipped: 1, target: { kind: 'folder', folder: 'Restored/y' }, destinations: [{ folder: 'Restored/x/Sent', messages: 1 }] });
    const steps: RestoreProgress[] = [];
    const out = await prepared.run((p) => steps.push(p), new AbortController().signal);
    assert.deepEqual(applied!.target, { mode: 'new-folder', folder: 'Restored/y' });
    assert.deepEqual(applied!.toRestore.map((m) => m.guid), ['g3']);
    assert.deepEqual(steps, [{ done: 0, total: 1, unit: 'message', folder: 'Sent', destination: 'Restored/x/Sent' }]);
    assert.deepEqual(out, {
      restored: 1,
      skipped: 1,
      failed: 0,
      target: { kind: 'folder', folder: 'Restored/y' },
      destinations: [{ folder: 'Restored/x/Sent', messages: 1 }],
      verify: { checked: 1, missing: 0, missingIds: [] },
    });
  });

  it('Cyrus: expunged records become rows going back to their mailbox; unexpunge runs once per folder with sorted UIDs', async () => {
    const rec = (uid: number) => ({ uid, size: 10, sent: '2026-01-02T00:00:00.000Z', received: null, expunged: '2026-01-03T00:00:00.000Z', from: 'B', to: 'C', cc: null, bcc: null, subject: null, cacheError: true });
    const calls: Array<[string, readonly number[]]> = [];
    const src = cyrusSource({ ...origin, engine: 'cyrus', source: 'expunged' }, {
      async *list() {
        yield { folder: 'INBOX', mailbox: 'user.alice', record: rec(7) };
        yield { folder: 'Archive', mailbox: 'user.alice.Archive', record: rec(3) };
      },
      preview: async () => ({ headers: [['Subject', 'x']], text: 't' }),
      unexpunge: async (folder, uids) => {
        calls.push([folder, uids]);
        return folder === 'INBOX' ? uids.length : uids.length - 1;
      },
    });
    const rows = [];
    for await (const c of src.loadPlan(undefined, new AbortController().signal)) rows.push(...c);
    assert.deepEqual(rows[0], { id: 'INBOX\u00007', uid: 7, from: 'B', to: 'C', subject: '(cache record missing or corrupt)', date: '2026-01-02T00:00:00.000Z', size: 10, folder: 'INBOX', destination: 'INBOX', status: 'new', source: 'cyrus', expunged: '2026-01-03T00:00:00.000Z' });
    assert.equal(src.header().folderTargetAllowed, false);
    assert.deepEqual(src.header().target, { kind: 'original' });
    assert.deepEqual([...groupByFolder(['INBOX\u00009', 'A/B\u00002', 'INBOX\u00001'])], [['INBOX', [1, 9]], ['A/B', [2]]]);
    const prepared = await src.prepareRestore(['INBOX\u00007', 'Archive\u00003', 'Archive\u00004'], { kind: 'original' }, new AbortController().signal);
    assert.deepEqual(prepared.summary.destinations, [{ folder: 'INBOX', messages: 1 }, { folder: 'Archive', messages: 2 }]);
    assert.deepEqual(calls, [], 'preparing changes nothing');
    const steps: RestoreProgress[] = [];
    const out = await prepared.run((p) => steps.push(p), new AbortController().signal);
    assert.deepEqual(calls, [['INBOX', [7]], ['Archive', [3, 4]]]);
    assert.deepEqual(steps.map((s) => [s.done, s.total, s.destination]), [[0, 3, 'INBOX'], [1, 3, 'Archive'], [3, 3, undefined]]);
    assert.deepEqual(out.verify, { checked: 3, missing: 1 });
    await assert.rejects(src.prepareRestore(['INBOX\u00007'], { kind: 'folder', folder: 'X' }, new AbortController().signal));
  });
});
