/**
 * A Cyrus unexpunge selection as a PreviewDataSource: the expunged messages of an account (`unexpunge -l`),
 * previewed from their still-present `UID.` files, restored with `unexpunge -u` into the mailbox they were
 * expunged from. The engine (src/core/cyrus/expunged.ts: listExpunged, previewExpunged, unexpunge) is reached
 * through the `CyrusUnexpungeEngine` port; sources/engines.ts binds it for a HostContext.
 */
import type { ExpungedRecord } from '../../../core/cyrus/parse';
import { defaultTargetFolder, type FolderCount, type PlanHeader, type PreviewContent, type PreviewOrigin, type PreviewRow, type RestoreOutcome } from '../../../shared/previewProtocol';
import type { PreviewDataSource } from '../dataSource';

/** One expunged message as listExpunged yields it (ExpungedItem). */
export interface ExpungedEntry {
  readonly folder: string;
  readonly mailbox: string;
  readonly record: ExpungedRecord;
}

export interface CyrusUnexpungeEngine {
  /** listExpunged(ctx, account, undefined, {}, signal). */
  list(signal: AbortSignal): AsyncIterable<ExpungedEntry>;
  /** previewExpunged(ctx, account, folder, uid, signal).message */
  preview(folder: string, uid: number, signal: AbortSignal): Promise<{ headers: Array<[string, string]>; text: string }>;
  /** unexpunge(ctx, { account, folder, uids }, signal).result.count: how many unexpunge reports restored. */
  unexpunge(folder: string, uids: readonly number[], signal: AbortSignal): Promise<number>;
}

const SEP = '\u0000';

export function cyrusRowId(folder: string, uid: number): string {
  return `${folder}${SEP}${uid}`;
}

export function parseCyrusRowId(id: string): { folder: string; uid: number } | undefined {
  const i = id.lastIndexOf(SEP);
  const uid = Number(id.slice(i + 1));
  return i > 0 && Number.isSafeInteger(uid) && uid > 0 ? { folder: id.slice(0, i), uid } : undefined;
}

export function expungedToRow(e: ExpungedEntry): PreviewRow {
  const r = e.record;
  return {
    id: cyrusRowId(e.folder, r.uid),
    uid: r.uid,
    from: r.from ?? '',
    to: r.to ?? undefined,
    subject: r.subject ?? (r.cacheError ? '(cache record missing or corrupt)' : ''),
    date: r.sent ?? r.received ?? '',
    size: r.size,
    folder: e.folder,
    // unexpunge puts a message back into the mailbox it was expunged from.
    destination: e.folder,
    // Cyrus cannot tell whether a copy is live already: unexpunge always adds the message back.
    status: 'new',
    source: 'cyrus',
    expunged: r.expunged ?? undefined,
  };
}

/** Chosen ids grouped by folder, UIDs ascending (one `unexpunge -u` per folder). */
export function groupByFolder(ids: readonly string[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  for (const id of ids) {
    const p = parseCyrusRowId(id);
    if (!p) throw new Error(`not a Cyrus message id: ${JSON.stringify(id)}`);
    let g = groups.get(p.folder);
    if (!g) groups.set(p.folder, (g = []));
    g.push(p.uid);
  }
  for (const g of groups.values()) g.sort((a, b) => a - b);
  return groups;
}

export function cyrusSource(origin: PreviewOrigin, engine: CyrusUnexpungeEngine, now: () => Date = () => new Date()): PreviewDataSource {
  const header: PlanHeader = { origin, defaultTarget: defaultTargetFolder(now()), target: { kind: 'original' }, intoOriginalAllowed: true, folderTargetAllowed: false };
  return {
    origin,
    header: () => header,
    // unexpunge has one target (the mailbox each message came from): the rows do not depend on `target`.
    async *loadPlan(_target, signal) {
      let out: PreviewRow[] = [];
      for await (const e of engine.list(signal)) {
        out.push(expungedToRow(e));
        if (out.length >= 500) {
          yield out;
          out = [];
        }
      }
      if (out.length) yield out;
    },
    async preview(id, signal): Promise<PreviewContent> {
      const p = parseCyrusRowId(id);
      if (!p) throw new Error(`not a Cyrus message id: ${JSON.stringify(id)}`);
      const m = await engine.preview(p.folder, p.uid, signal);
      return { id, headers: m.headers, text: m.text };
    },
    async prepareRestore(ids, target) {
      if (target.kind !== 'original') throw new Error('Cyrus unexpunge restores into the original mailbox only');
      const groups = groupByFolder(ids);
      const destinations: FolderCount[] = [...groups].map(([folder, uids]) => ({ folder, messages: uids.length }));
      return {
        summary: { messages: ids.length, skipped: 0, target, destinations },
        async run(progress, signal): Promise<RestoreOutcome> {
          // One `unexpunge -u` per mailbox; progress between them.
          const total = ids.length;
          let done = 0;
          let restored = 0;
          for (const [folder, uids] of groups) {
            progress({ done, total, unit: 'message', folder, destination: folder });
            restored += await engine.unexpunge(folder, uids, signal);
            done += uids.length;
          }
          progress({ done, total, unit: 'message' });
          const missing = Math.max(0, total - restored);
          return {
            restored,
            skipped: 0,
            failed: missing,
            target,
            destinations,
            // unexpunge's own "restored N expunged messages" count against what was asked for.
            verify: { checked: total, missing },
          };
        },
      };
    },
  };
}
