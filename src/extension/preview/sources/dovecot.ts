/**
 * A Dovecot restore plan as a PreviewDataSource. The engine (src/core/dovecot/restore.ts: planRestore,
 * applyRestore) is reached through the `DovecotRestoreEngine` port so this file stays pure mapping and is unit
 * tested without a host; sources/dovecotEngine.ts binds the port to the engine for a HostContext.
 * Totals, destinations and progress are the engine's (planSelection.ts, ApplyProgress): this file only maps them.
 */
import { planDestinations, selectFromPlan } from '../../../core/dovecot/planSelection';
import type { PlannedMessage, RestorePlan, RestoreResult, RestoreTarget as DovecotTarget } from '../../../core/dovecot/types';
import { defaultTargetFolder, type PlanHeader, type PreviewContent, type PreviewOrigin, type PreviewRow, type RestoreOutcome, type RestoreProgress, type RestoreTarget } from '../../../shared/previewProtocol';
import type { PreviewDataSource } from '../dataSource';

export interface DovecotRestoreEngine {
  /** planRestore(ctx, account, { source, target }): what the set holds, split into toRestore / alreadyPresent. */
  plan(target: DovecotTarget | undefined, signal: AbortSignal): Promise<RestorePlan>;
  /** applyRestore(ctx, plan, { onProgress, signal }), with the engine's structured progress. */
  apply(plan: RestorePlan, onProgress: (p: RestoreProgress) => void, signal: AbortSignal): Promise<RestoreResult>;
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
    // The engine's: where it goes (toRestore) or where it already is (alreadyPresent).
    destination: m.destination,
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

export function fromDovecotTarget(t: DovecotTarget): RestoreTarget {
  return t.mode === 'original' ? { kind: 'original' } : { kind: 'folder', folder: t.folder };
}

export function outcomeOf(result: RestoreResult, target: RestoreTarget): RestoreOutcome {
  const notConfirmed = result.notConfirmed;
  return {
    restored: result.restored.length,
    skipped: result.plan.totals.alreadyPresent,
    failed: notConfirmed.length,
    target,
    destinations: planDestinations(result.plan),
    verify: {
      checked: result.plan.totals.toRestore,
      missing: notConfirmed.length,
      missingIds: notConfirmed.slice(0, 10).map((m) => `${m.folder}/${m.guid}`),
    },
  };
}

export function dovecotSource(origin: PreviewOrigin, engine: DovecotRestoreEngine, now: () => Date = () => new Date()): PreviewDataSource {
  let header: PlanHeader = { origin, defaultTarget: defaultTargetFolder(now()), intoOriginalAllowed: true, folderTargetAllowed: true };
  const byId = new Map<string, PlannedMessage>();
  return {
    origin,
    header: () => header,
    async *loadPlan(target, signal) {
      const planned = await engine.plan(target ? toDovecotTarget(target) : undefined, signal);
      byId.clear();
      for (const m of [...planned.toRestore, ...planned.alreadyPresent]) byId.set(dovecotRowId(m), m);
      // The engine names the default folder (its namespace separator, its clock) when it planned without a target.
      const engineDefault = target === undefined && planned.target.mode === 'new-folder' ? { defaultTarget: planned.target.folder } : {};
      header = { ...header, ...engineDefault, target: fromDovecotTarget(planned.target) };
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
    async prepareRestore(ids, target, signal) {
      // Plan again right before asking (the live account may have changed since the preview), with the target
      // the operator chose, narrowed by the engine to exactly the chosen rows.
      const chosen = new Set(ids);
      const plan = selectFromPlan(await engine.plan(toDovecotTarget(target), signal), (m) => chosen.has(dovecotRowId(m)));
      return {
        summary: { messages: plan.totals.toRestore, skipped: plan.totals.alreadyPresent, target, destinations: planDestinations(plan) },
        run: async (progress, runSignal) => outcomeOf(await engine.apply(plan, progress, runSignal), target),
      };
    },
  };
}
