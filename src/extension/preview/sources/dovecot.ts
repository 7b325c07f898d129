/**
 * A Dovecot restore plan as a PreviewDataSource. The engine (src/core/dovecot/restore.ts: planRestore,
 * applyRestore) is reached through the `DovecotRestoreEngine` port so this file stays pure mapping and is unit
 * tested without a host; sources/engines.ts binds the port to the engine for a HostContext.
 */
import type { PlannedMessage, RestorePlan, RestoreResult, RestoreTarget as DovecotTarget } from '../../../core/dovecot/types';
import { defaultTargetFolder, type PlanHeader, type PreviewContent, type PreviewOrigin, type PreviewRow, type RestoreOutcome, type RestoreTarget } from '../../../shared/previewProtocol';
import type { PreviewDataSource } from '../dataSource';

export interface DovecotRestoreEngine {
  /** planRestore(ctx, account, { source, target }): what the set holds, split into toRestore / alreadyPresent. */
  plan(target: DovecotTarget | undefined, signal: AbortSignal): Promise<RestorePlan>;
  /** applyRestore(ctx, plan, { onProgress, signal }). */
  apply(plan: RestorePlan, onProgress: (message: string) => void, signal: AbortSignal): Promise<RestoreResult>;
  /** Headers and text of one message of the set; undefined while the engine has no such function. */
  preview?(folder: string, uid: number, guid: string, signal: AbortSignal): Promise<Omit<PreviewContent, 'id'>>;
}

const SEP = '\u0000';

export function dovecotRowId(m: Pick<PlannedMessage, 'folder' | 'uid'>): string {
  return `${m.folder}${SEP}${m.uid}`;
}

export function plannedToRow(m: PlannedMessage, status: PreviewRow['status']): PreviewRow {
  return {
    id: dovecotRowId(m),
    uid: m.uid,
    guid: m.guid,
    messageId: m.messageId ? m.messageId.replace(/^<|>$/g, '') : undefined,
    from: m.from,
    subject: m.subject,
    date: m.date ?? '',
    size: m.size,
    folder: m.folder,
    status,
    source: 'dovecot',
  };
}

/** Both lists of a plan as rows, in chunks: the messages to restore first, then those already present. */
export function* planToRows(plan: RestorePlan, chunk = 2000): Generator<PreviewRow[]> {
  let out: PreviewRow[] = [];
  for (const [list, status] of [[plan.toRestore, 'new'], [plan.alreadyPresent, 'present']] as const) {
    for (const m of list) {
      out.push(plannedToRow(m, status));
      if (out.length >= chunk) {
        yield out;
        out = [];
      }
    }
  }
  if (out.length) yield out;
}

export function toDovecotTarget(t: RestoreTarget): DovecotTarget {
  return t.kind === 'original' ? { mode: 'original' } : { mode: 'new-folder', folder: t.folder };
}

/** The plan narrowed to exactly the chosen rows (applyRestore carries out exactly plan.toRestore). */
export function narrowPlan(plan: RestorePlan, ids: ReadonlySet<string>): RestorePlan {
  const toRestore = plan.toRestore.filter((m) => ids.has(dovecotRowId(m)));
  const alreadyPresent = plan.alreadyPresent.filter((m) => ids.has(dovecotRowId(m)));
  return { ...plan, toRestore, alreadyPresent, totals: { toRestore: toRestore.length, alreadyPresent: alreadyPresent.length, bytes: toRestore.reduce((n, m) => n + m.size, 0) } };
}

export function outcomeOf(result: RestoreResult, target: RestoreTarget): RestoreOutcome {
  const notConfirmed = result.notConfirmed;
  return {
    restored: result.restored.length,
    skipped: result.plan.alreadyPresent.length,
    failed: Math.max(0, result.plan.toRestore.length - result.restored.length),
    target: target.kind === 'original' ? '(original folders)' : target.folder,
    verify: {
      checked: result.plan.toRestore.length,
      missing: notConfirmed.length,
      missingIds: notConfirmed.slice(0, 10).map((m) => `${m.folder}/${m.guid}`),
    },
  };
}

export function dovecotSource(origin: PreviewOrigin, engine: DovecotRestoreEngine, now: () => Date = () => new Date()): PreviewDataSource {
  let planned: RestorePlan | undefined;
  let header: PlanHeader = { origin, defaultTarget: defaultTargetFolder(now()), intoOriginalAllowed: true, folderTargetAllowed: true };
  const byId = new Map<string, PlannedMessage>();
  return {
    origin,
    header: () => header,
    async *loadPlan(signal) {
      planned = await engine.plan(undefined, signal);
      byId.clear();
      for (const m of [...planned.toRestore, ...planned.alreadyPresent]) byId.set(dovecotRowId(m), m);
      if (planned.target.mode === 'new-folder') header = { ...header, defaultTarget: planned.target.folder };
      yield* planToRows(planned);
    },
    async preview(id, signal) {
      const m = byId.get(id);
      if (!m) throw new Error(`no message ${JSON.stringify(id)} in this plan`);
      if (!engine.preview) {
        // TODO(dovecot engine): no function reads one message of a backup set yet.
        return {
          id,
          headers: [['From', m.from], ['Subject', m.subject], ['Date', m.date ?? ''], ['Message-ID', m.messageId ?? ''], ['Folder', m.folder], ['GUID', m.guid]],
          text: 'The message body cannot be shown yet: the Dovecot engine has no preview of backup messages.',
        };
      }
      return { id, ...(await engine.preview(m.folder, m.uid, m.guid, signal)) };
    },
    async restore(ids, target, progress, signal) {
      // Re-plan right before applying (the live account may have changed since the preview), with the target
      // the operator chose, then narrow it to exactly the chosen rows.
      const fresh = await engine.plan(toDovecotTarget(target), signal);
      const plan = narrowPlan(fresh, new Set(ids));
      const total = plan.toRestore.length;
      // applyRestore reports one line per (source folder, destination) group as it starts it.
      let done = 0;
      let current = 0;
      const report = (message: string): void => {
        done = Math.min(total, done + current);
        current = Number(/^restoring (\d+) message/.exec(message)?.[1] ?? 0);
        progress({ done, total, message });
      };
      progress({ done: 0, total, message: `${plan.alreadyPresent.length} already present, skipped` });
      const result = await engine.apply(plan, report, signal);
      return outcomeOf(result, target);
    },
  };
}
