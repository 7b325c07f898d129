/**
 * Retention of archive chains (generic: every backup whose archives/ folder holds `<UTC stamp>-<level>`
 * archives with a `<id>.meta` file carrying `full=<id of the chain's full>` and `verified=yes|no`, as the
 * Dovecot and the Cyrus backups write them).
 *
 * The rule: keep the newest KEEP full chains (KEEP 0 keeps everything). An older chain goes only when a
 * NEWER full archive exists and has been verified; until then it is kept, and the run log says why.
 * A chain goes whole: the full and every point whose meta names it (`full=<id>`), all files `<id>.*`
 * (tar.gz, snar, folders, mailboxes.txt…), the meta last, so a run stopped half-way is finished by the next.
 *
 * RETENTION_FN is constant shell code for the backup scripts (see script.ts): it defines `retention`,
 * reads $ARCHIVES and $KEEP (declare both as parameters) and writes `retention` step lines (runlog.ts).
 * planRetention is the same rule in TypeScript, for previews and for testing the shell against it.
 */
import { sh } from './script';

export const RETENTION_FN = sh`
retention() {
  [ "$KEEP" -gt 0 ] || { mo_line retention skip reason keep-all; return 0; }
  mo_line retention start keep "$KEEP"
  _ri=0; _rnv=no; _rremoved=0
  for _rf in $(ls "$ARCHIVES" | sed -n 's/^\\([0-9]\\{8\\}T[0-9]\\{6\\}Z-full\\)\\.meta$/\\1/p' | sort -r); do
    _ri=$((_ri + 1))
    if [ "$_ri" -gt "$KEEP" ]; then
      if [ "$_rnv" = yes ]; then
        for _rm in "$ARCHIVES"/*.meta; do
          [ -f "$_rm" ] || continue
          if grep -qsx "full=$_rf" "$_rm"; then
            _rid=$(basename "$_rm" .meta)
            for _rx in "$ARCHIVES/$_rid".*; do [ "$_rx" = "$_rm" ] || rm -f -- "$_rx"; done
            rm -f -- "$_rm"
            _rremoved=$((_rremoved + 1)); mo_line retention info removed "$_rid" chain "$_rf"
          fi
        done
      else
        mo_line retention info kept "$_rf" reason 'no newer verified full archive yet'
      fi
    fi
    grep -qsx 'verified=yes' "$ARCHIVES/$_rf.meta" && _rnv=yes
  done
  mo_line retention ok removed "$_rremoved"
}
`;

export interface RetentionFull {
  /** Id of a full archive: `<UTC stamp>-full`. */
  id: string;
  verified: boolean;
}

export interface RetentionPlan {
  /** Full ids whose chains go. */
  remove: string[];
  /** Full ids beyond KEEP that stay because no newer full is verified yet. */
  keptUnverified: string[];
}

/** Which chains a run with this KEEP removes (pure; the same rule as RETENTION_FN). */
export function planRetention(fulls: readonly RetentionFull[], keep: number): RetentionPlan {
  const plan: RetentionPlan = { remove: [], keptUnverified: [] };
  if (keep <= 0) return plan;
  const newestFirst = [...fulls].sort((a, b) => b.id.localeCompare(a.id));
  let newerVerified = false;
  newestFirst.forEach((f, i) => {
    if (i + 1 > keep) (newerVerified ? plan.remove : plan.keptUnverified).push(f.id);
    if (f.verified) newerVerified = true;
  });
  return plan;
}
