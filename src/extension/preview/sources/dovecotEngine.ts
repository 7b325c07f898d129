/** Binds the DovecotRestoreEngine port to the Dovecot restore engine (src/core/dovecot/restore.ts). */
import { applyRestore, planRestore } from '../../../core/dovecot/restore';
import { parseSetRef } from '../../../core/dovecot/sets';
import type { HostContext } from '../../../core/hosts/context';
import type { DovecotRestoreEngine } from './dovecot';

/** `source` as the CLI takes it after --from: mirror, expunged, archive:ID. */
export function dovecotEngine(ctx: HostContext, account: string, source: string): DovecotRestoreEngine {
  const ref = parseSetRef(source, { kind: 'mirror' });
  return {
    plan: (target, signal) => planRestore(ctx, account, { source: ref, target, signal }),
    apply: (plan, onProgress, signal) => applyRestore(ctx, plan, { onProgress, signal }),
    // TODO(dovecot engine): bind `preview` when the engine can read one message of a backup set.
  };
}
