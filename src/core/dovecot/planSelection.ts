/**
 * A restore plan narrowed to the messages an operator chose (the restore preview's selection), and where a plan's
 * messages go. Kept in the engine so that no face counts a plan's totals or groups its destinations itself.
 * Pure: unit tested.
 */
import type { PlannedMessage, RestorePlan } from './types';

/** The plan with only the messages `keep` accepts, in both lists; totals counted as planRestore counts them. */
export function selectFromPlan(plan: RestorePlan, keep: (m: PlannedMessage) => boolean): RestorePlan {
  const toRestore = plan.toRestore.filter(keep);
  const alreadyPresent = plan.alreadyPresent.filter(keep);
  return {
    ...plan,
    toRestore,
    alreadyPresent,
    totals: { toRestore: toRestore.length, alreadyPresent: alreadyPresent.length, bytes: toRestore.reduce((a, m) => a + m.size, 0) },
  };
}

/** The live folders the plan's messages to restore go to, each with how many, in plan order. */
export function planDestinations(plan: RestorePlan): Array<{ folder: string; messages: number }> {
  const counts = new Map<string, number>();
  for (const m of plan.toRestore) counts.set(m.destination, (counts.get(m.destination) ?? 0) + 1);
  return [...counts].map(([folder, messages]) => ({ folder, messages }));
}
