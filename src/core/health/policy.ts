/**
 * The host's health policy (`health` in its configuration): how old each kind of backup may be before it is
 * stale, and optionally how old the last verify may be. Defaults: 2 h for a mirror (scheduled every minute or
 * so), 26 h for full and incremental archives (nightly, with slack), verify not required.
 */
import type { HostConfig } from '../hosts/model';
import { DEFAULT_POLICY, type HealthPolicy } from './verdict';

export function policyOf(host: HostConfig): HealthPolicy {
  const h = host.health;
  return {
    maxAge: {
      mirror: h?.maxAge?.mirror ?? DEFAULT_POLICY.maxAge.mirror,
      full: h?.maxAge?.full ?? DEFAULT_POLICY.maxAge.full,
      incr: h?.maxAge?.incr ?? DEFAULT_POLICY.maxAge.incr,
    },
    verifyMaxAge: h?.verifyMaxAge ?? DEFAULT_POLICY.verifyMaxAge,
  };
}
