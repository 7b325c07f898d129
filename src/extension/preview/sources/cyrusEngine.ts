/** Binds the CyrusUnexpungeEngine port to the Cyrus engine (src/core/cyrus/expunged.ts) for one host and account. */
import { listExpunged, previewExpunged, unexpunge } from '../../../core/cyrus/expunged';
import type { HostContext } from '../../../core/hosts/context';
import type { CyrusUnexpungeEngine } from './cyrus';

export function cyrusEngine(ctx: HostContext, account: string): CyrusUnexpungeEngine {
  return {
    list: (signal) => listExpunged(ctx, account, undefined, {}, signal),
    async preview(folder, uid, signal) {
      const r = await previewExpunged(ctx, account, folder, uid, signal);
      return { headers: r.message.headers, text: r.message.text };
    },
    async unexpunge(folder, uids, signal) {
      const plan = await unexpunge(ctx, { account, folder, uids: [...uids] }, signal);
      // unexpunge() throws when the tool did not report its count; null only for an empty selection.
      return plan.result?.count ?? 0;
    },
  };
}
