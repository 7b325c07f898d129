import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RestorePlan, RestoreResult } from '../../../src/core/dovecot/types';
import { PLAN_CHUNK_SIZE, isExtensionMessage, type ExtensionMessage, type PreviewRow, type RestoreTarget } from '../../../src/shared/previewProtocol';
import type { PreviewDataSource } from '../../../src/extension/preview/dataSource';
import { PreviewRouter } from '../../../src/extension/preview/router';
import { dovecotSource, narrowPlan, planToRows } from '../../../src/extension/preview/sources/dovecot';
import { cyrusSource, groupByFolder } from '../../../src/extension/preview/sources/cyrus';
import { makeRow } from '../../webview/fixtures/rows';

const origin = { engine: 'dovecot', host: 'mail1', account: 'alice', source: 'mirror' } as const;

function fakeSource(rows: PreviewRow[], calls: { restore?: [readonly string[], RestoreTarget] }): PreviewDataSource {
  return {
    origin,
    header: () => ({ origin, defaultTarget: 'Restored/x', intoOriginalAllowed: true, folderTargetAllowed: true }),
    async *loadPlan() {
      for (let i = 0; i < rows.length; i += 777) yield rows.slice(i, i + 777);
    },
    async preview(id) {
      return { id, headers: [['Subject', id]], text: 'body' };
    },
    async restore(ids, target, progress) {
      calls.restore = [ids, target];
      progress({ done: ids.length, total: ids.length });
      return { restored: ids.length, skipped: 0, failed: 0, target: 'Restored/x', verify: { checked: ids.length, missing: 0 } };
    },
  };
}

function harness(rows: PreviewRow[], confirm = true) {
  const sent: ExtensionMessage[] = [];
  const logs: string[] = [];
  const calls: { restore?: [readonly string[], RestoreTarget] } = {};
  const router = new PreviewRouter(fakeSource(rows, calls), {
    post: async (m) => {
      assert.ok(isExtensionMessage(m, true), `router sent an invalid message: ${JSON.stringify(m).slice(0, 200)}`);
      sent.push(m);
      return true;
    },
    confirm: async () => confirm,
    log: (_l, m) => logs.push(m),
  });
  return { router, sent, logs, calls };
}

describe('preview router (extension side)', () => {
  it('streams the plan in chunks of PLAN_CHUNK_SIZE after ready', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => makeRow(i));
    const { router, sent } = harness(rows);
    await router.receive({ type: 'ready', protocol: 1 });
    assert.equal(sent[0]!.type, 'plan/start');
    const chunks = sent.filter((m) => m.type === 'plan/rows');
    assert.deepEqual(chunks.map((c) => (c.type === 'plan/rows' ? c.rows.length : 0)), [PLAN_CHUNK_SIZE, PLAN_CHUNK_SIZE, 1000]);
    assert.deepEqual(sent.at(-1), { type: 'plan/end', loadId: 1, total: 5000 });
  });

  it('drops invalid messages and refuses ids that are not in the plan', async () => {
    const { router, sent, logs, calls } = harness([makeRow(0), makeRow(1)]);
    await router.receive({ type: 'ready', protocol: 1 });
    const before = sent.length;
    await router.receive({ type: 'runRestore', ids: ['x'], target: { kind: 'shell' } });
    await router.receive('<script>');
    assert.equal(sent.length, before);
    assert.equal(logs.filter((l) => l.includes('dropped an invalid message')).length, 2);
    await router.receive({ type: 'runRestore', ids: ['not-in-plan'], target: { kind: 'original' } });
    assert.equal(calls.restore, undefined);
    assert.equal(sent.at(-1)!.type, 'error');
  });

  it('answers a preview request with the matching requestId, and runs a confirmed restore', async () => {
    const { router, sent, calls } = harness([makeRow(0), makeRow(1), makeRow(2)]);
    await router.receive({ type: 'ready', protocol: 1 });
    await router.receive({ type: 'request', requestId: 42, method: 'preview', params: { id: makeRow(1).id } });
    const resp = sent.at(-1)!;
    assert.ok(resp.type === 'response' && resp.requestId === 42 && resp.ok && resp.result.id === makeRow(1).id);
    await router.receive({ type: 'runRestore', ids: [makeRow(0).id, makeRow(2).id, makeRow(2).id], target: { kind: 'folder', folder: 'Restored/x' } });
    assert.deepEqual(calls.restore, [[makeRow(0).id, makeRow(2).id], { kind: 'folder', folder: 'Restored/x' }]);
    assert.deepEqual(sent.slice(-3).map((m) => m.type), ['restore/started', 'restore/progress', 'restore/result']);
  });

  it('does nothing when the operator declines the confirmation', async () => {
    const { router, sent, calls } = harness([makeRow(0)], false);
    await router.receive({ type: 'ready', protocol: 1 });
    await router.receive({ type: 'runRestore', ids: [makeRow(0).id], target: { kind: 'original' } });
    assert.equal(calls.restore, undefined);
    assert.ok(sent.at(-1)!.type === 'error');
  });
});

const pm = (uid: number, folder: string, guid: string) => ({ uid, guid, messageId: `<m${uid}@x>`, from: 'A <a@x>', subject: `s${uid}`, date: '2026-01-01T00:00:00.000Z', size: 100 + uid, folder, destination: `Restored/x/${folder}` });
const plan = (): RestorePlan => ({
  host: 'mail1', account: 'alice', source: { kind: 'mirror' }, sourceLabel: 'mirror', selection: {}, target: { mode: 'new-folder', folder: 'Restored/2026-11-22 0415' }, separator: '/', createdAt: '2026-11-22T04:15:00Z',
  toRestore: [pm(1, 'INBOX', 'g1'), pm(2, 'INBOX', 'g2'), pm(1, 'Sent', 'g3')], alreadyPresent: [pm(3, 'INBOX', 'g4')], missingMailboxes: [], totals: { toRestore: 3, alreadyPresent: 1, bytes: 306 },
});

describe('engine sources map onto the one row type', () => {
  it('Dovecot: toRestore -> new, alreadyPresent -> present; restore narrows the re-made plan to the chosen rows', async () => {
    const rows = [...planToRows(plan())].flat();
    assert.deepEqual(rows.map((r) => [r.id, r.status, r.messageId]), [['INBOX\u00001', 'new', 'm1@x'], ['INBOX\u00002', 'new', 'm2@x'], ['Sent\u00001', 'new', 'm1@x'], ['INBOX\u00003', 'present', 'm3@x']]);
    assert.deepEqual(narrowPlan(plan(), new Set(['Sent\u00001', 'INBOX\u00003'])).toRestore.map((m) => m.guid), ['g3']);
    let applied: RestorePlan | undefined;
    const src = dovecotSource(origin, {
      plan: async (target) => ({ ...plan(), target: target ?? plan().target }),
      apply: async (p, onProgress): Promise<RestoreResult> => {
        applied = p;
        onProgress('restoring 1 message from Sent (mirror) into Restored/y/Sent');
        return { dryRun: false, plan: p, opId: 'r-1', restored: p.toRestore.map((m) => ({ folder: m.destination, guid: m.guid })), notConfirmed: [], opsLog: '/x' };
      },
    });
    const loaded = [];
    for await (const c of src.loadPlan(new AbortController().signal)) loaded.push(...c);
    assert.equal(loaded.length, 4);
    assert.equal(src.header().defaultTarget, 'Restored/2026-11-22 0415');
    const out = await src.restore(['Sent\u00001', 'INBOX\u00003'], { kind: 'folder', folder: 'Restored/y' }, () => {}, new AbortController().signal);
    assert.deepEqual(applied!.target, { mode: 'new-folder', folder: 'Restored/y' });
    assert.deepEqual(applied!.toRestore.map((m) => m.guid), ['g3']);
    assert.deepEqual(out, { restored: 1, skipped: 1, failed: 0, target: 'Restored/y', verify: { checked: 1, missing: 0, missingIds: [] } });
  });

  it('Cyrus: expunged records become rows; unexpunge runs once per folder with sorted UIDs', async () => {
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
    for await (const c of src.loadPlan(new AbortController().signal)) rows.push(...c);
    assert.deepEqual(rows[0], { id: 'INBOX\u00007', uid: 7, from: 'B', to: 'C', subject: '(cache record missing or corrupt)', date: '2026-01-02T00:00:00.000Z', size: 10, folder: 'INBOX', status: 'new', source: 'cyrus', expunged: '2026-01-03T00:00:00.000Z' });
    assert.equal(src.header().folderTargetAllowed, false);
    assert.deepEqual([...groupByFolder(['INBOX\u00009', 'A/B\u00002', 'INBOX\u00001'])], [['INBOX', [1, 9]], ['A/B', [2]]]);
    const out = await src.restore(['INBOX\u00007', 'Archive\u00003', 'Archive\u00004'], { kind: 'original' }, () => {}, new AbortController().signal);
    assert.deepEqual(calls, [['INBOX', [7]], ['Archive', [3, 4]]]);
    assert.deepEqual(out.verify, { checked: 3, missing: 1 });
    await assert.rejects(src.restore(['INBOX\u00007'], { kind: 'folder', folder: 'X' }, () => {}, new AbortController().signal));
  });
});
