/** Durations in the host configuration (health policy): seconds, or a number with s, m, h or d. */
const UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `7200`, `"90m"`, `"26h"`, `"7d"` → seconds; null when it is none of those. */
export function parseDuration(v: unknown): number | null {
  if (typeof v === 'number') return Number.isInteger(v) && v > 0 ? v : null;
  if (typeof v !== 'string') return null;
  const m = /^(\d+)\s*([smhd]?)$/.exec(v.trim());
  if (!m) return null;
  const n = Number(m[1]) * UNIT[m[2] || 's']!;
  return n > 0 ? n : null;
}
