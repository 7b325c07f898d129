/**
 * The result of a verify, recorded on the host for `health` (src/core/health): a small file
 * ROOT/dovecot/<account>/verify.last of `key=value` lines (values run-log encoded: never a space), written to a
 * temporary file in the same folder and renamed over the old one, so a reader sees the old record or the new
 * one. Written by the same constant-script machinery as the backups (values only as positional parameters).
 */
import type { HostContext } from '../hosts/context';
import { runChecked } from '../hosts/context';
import { checkBackupRoot, dovecotLayout } from '../backup/layout';
import { encodeValue } from '../backup/runlog';
import { ScriptBuilder, sh } from '../backup/script';
import { VERIFY_RECORD } from '../health/script';
import type { VerifyReport } from './types';

const BODY = sh`
[ -d "$DIR" ] || { echo "mailops: the backup folder $DIR does not exist" >&2; exit 1; }
mo_safe_dir "$DIR" 0711 >&2 || exit 73
TMP="$DIR/.$NAME.tmp.$$"
printf '%s\\n' "$CONTENT" >"$TMP" || { rm -f "$TMP"; exit 1; }
mo_replace "$TMP" "$DIR/$NAME" || { rm -f "$TMP"; exit 1; }
`;

/** The record's text (pure): one `key=value` per line. */
export function verifyRecordText(r: VerifyReport): string {
  const set = r.set.kind === 'archive' ? `archive:${r.set.archiveId}` : r.set.kind;
  const kv: Array<[string, string]> = [
    ['time', r.checkedAt],
    ['set', set],
    ['backup_time', r.backupTime ?? ''],
    ['missing', String(r.totals.missing)],
    ['missing_older', String(r.totals.missingOlder)],
    ['extra', String(r.totals.extra)],
    ['ok', r.ok ? 'yes' : 'no'],
  ];
  return kv.map(([k, v]) => `${k}=${encodeValue(v)}`).join('\n');
}

/** Write the record; resolves with its path on the host. */
export async function recordVerify(ctx: HostContext, r: VerifyReport, signal?: AbortSignal): Promise<string> {
  const layout = dovecotLayout(ctx.config, r.account);
  checkBackupRoot(layout.root); // 11.14: the same checks as every other writer under the backup root
  const b = new ScriptBuilder('mailops-verify-record');
  b.param('DIR', layout.dir);
  b.param('NAME', VERIFY_RECORD);
  b.param('CONTENT', verifyRecordText(r));
  b.add(BODY);
  const built = b.build();
  await runChecked(ctx, built.argv, { signal, displayArgv: ['sh', '-c', '<verify record script>', built.name, ...built.args], what: 'recording the verify result failed' });
  return `${layout.dir}/${VERIFY_RECORD}`;
}
