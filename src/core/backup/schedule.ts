/**
 * Installing a backup script on the host as a schedule (generic: Dovecot and Cyrus use it alike).
 * The installed file is the SAME built script (ScriptBuilder.fileText: `set -- ARGS…` + the script), so an
 * unattended run behaves exactly like an interactive one, and writes the same log under logs/.
 * cron: /etc/cron.d/<name>; systemd (when PID 1 is systemd): /etc/systemd/system/<name>.{service,timer}.
 * Every file is written atomically (temp in the same folder, then rename) and carries MARKER: `remove`
 * deletes only files that carry it.
 */
import { createHash } from 'node:crypto';
import type { HostContext } from '../hosts/context';
import { runChecked } from '../hosts/context';
import { UsageError } from '../errors';
import { ScriptBuilder, sh, type BuiltScript } from './script';
import { checkBackupRoot } from './layout';

export const SCHEDULE_MARKER = 'mailops-managed schedule: do not edit; mailops schedule remove deletes it';

/**
 * A name safe for /etc/cron.d (run-parts: [A-Za-z0-9_-]) and systemd units. The hash is over server, kind
 * and target; the readable part is made from `label` when given (e.g. `host` for a host-wide backup whose
 * target is a path), else from the target.
 */
export function scheduleName(server: string, kind: string, target: string, label?: string): string {
  const slug = (label ?? target).normalize('NFKD').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '').toLowerCase().slice(0, 24) || 'x';
  const hash = createHash('sha256').update(`${server}\0${kind}\0${target}`).digest('hex').slice(0, 8);
  return `mailops-${server}-${kind}-${slug}-${hash}`;
}

const CRON_FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;
const CRON_NAMED = /^(\*|[A-Za-z]{3}(-[A-Za-z]{3})?|\d+(-\d+)?)(\/\d+)?(,([A-Za-z]{3}(-[A-Za-z]{3})?|\d+(-\d+)?)(\/\d+)?)*$/;

/** Validate a 5-field cron expression (numbers, *, lists, ranges, steps; month/day names). */
export function parseCron(expr: string): string[] {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) throw new UsageError(`--every needs 5 cron fields (minute hour day-of-month month day-of-week), got ${fields.length}: ${JSON.stringify(expr)}`);
  fields.forEach((f, i) => {
    if (!(i >= 3 ? CRON_NAMED : CRON_FIELD).test(f)) throw new UsageError(`cron field ${i + 1} is not valid: ${JSON.stringify(f)}`, { hint: "e.g. --every '15 2 * * *' (02:15 daily) or --every '*/10 * * * *'" });
  });
  return fields;
}

const DOW = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function calPart(f: string, width: number): string {
  return f
    .split(',')
    .map((p) => {
      const [range, step] = p.split('/');
      let r = range === '*' ? (step ? '0' : '*') : range!.replace('-', '..');
      if (width && /^\d+$/.test(r)) r = r.padStart(width, '0');
      return step ? `${r}/${step}` : r;
    })
    .join(',');
}

/** A cron expression as a systemd OnCalendar value (same meaning for the forms parseCron accepts, numbers only for day of week). */
export function cronToOnCalendar(expr: string): string {
  const [min, hour, dom, mon, dow] = parseCron(expr) as [string, string, string, string, string];
  if (dom !== '*' && dow !== '*') throw new UsageError('with systemd timers, give either a day of month or a day of week, not both');
  if (/[A-Za-z]/.test(mon) || /\//.test(dow)) throw new UsageError('for systemd timers use month numbers and no step in the day of week');
  let days = '';
  if (dow !== '*') {
    days = dow
      .split(',')
      .map((p) => {
        const [a, b] = p.split('-');
        const name = (x: string) => (/^\d+$/.test(x) ? DOW[Number(x)] : x[0]!.toUpperCase() + x.slice(1, 3).toLowerCase());
        return b ? `${name(a!)}..${name(b)}` : name(a!);
      })
      .join(',');
    days += ' ';
  }
  const minute = calPart(min, 2);
  return `${days}*-${calPart(mon, 2)}-${calPart(dom, 2)} ${calPart(hour, 2)}:${minute}:00`;
}

export interface ScheduleSpec {
  name: string;
  /** Folder under the backup root holding installed scripts. */
  dir: string;
  every: string;
  built: BuiltScript;
  /** Describe the job in the files (shown by status). */
  description: string;
}

export interface ScheduleStatus {
  name: string;
  installed: boolean;
  method: 'cron' | 'systemd' | null;
  systemdIsInit: boolean;
  every: string | null;
  script: string | null;
  files: string[];
}

const SAFE_PATH = /^\/[A-Za-z0-9._/@+-]+$/;

const SCHEDULE_BODY = sh`
is_systemd() { [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; }
has_marker() { [ -f "$1" ] && grep -qF "$MARKER" "$1"; }
put() { tmp="$(dirname "$1")/.$(basename "$1").tmp.$$"; printf '%s\n' "$2" >"$tmp" && chmod "$3" "$tmp" && { sync -- "$tmp" 2>/dev/null || true; } && mv -f "$tmp" "$1"; }
SCRIPT="$SDIR/$NAME.sh"; CRONF="/etc/cron.d/$NAME"; UNIT="/etc/systemd/system/$NAME"
if is_systemd; then echo "systemd_init yes"; else echo "systemd_init no"; fi
case $ACTION in
  install)
    for f in "$CRONF" "$UNIT.service" "$UNIT.timer" "$SCRIPT"; do
      if [ -e "$f" ] && ! has_marker "$f"; then echo "refuse $f exists and was not written by Mailops" >&2; exit 73; fi
    done
    # The installed script runs as root from cron: its folder must be one no other user can redirect.
    mo_safe_dir "$SDIR" 0700 >&2 && chmod 0700 "$SDIR" || exit 73
    put "$SCRIPT" "$TEXT" 0700 || exit 73
    echo "file $SCRIPT"
    if is_systemd && [ "$METHOD" != cron ]; then
      put "$UNIT.service" "$(printf '# %s\n# %s\n[Unit]\nDescription=%s\n\n[Service]\nType=oneshot\nExecStart=/bin/sh %s\n' "$MARKER" "$DESC" "$NAME" "$SCRIPT")" 0644 || exit 73
      put "$UNIT.timer" "$(printf '# %s\n# every=%s\n[Unit]\nDescription=%s\n\n[Timer]\nOnCalendar=%s\nPersistent=true\n\n[Install]\nWantedBy=timers.target\n' "$MARKER" "$EVERY" "$NAME" "$CALENDAR")" 0644 || exit 73
      systemctl daemon-reload && systemctl enable --now "$NAME.timer" || exit 75
      echo "method systemd"; echo "file $UNIT.service"; echo "file $UNIT.timer"
    else
      [ -d /etc/cron.d ] || mkdir -p /etc/cron.d
      put "$CRONF" "$(printf '# %s\n# %s\n# every=%s\nSHELL=/bin/sh\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n%s root /bin/sh %s >/dev/null 2>&1\n' "$MARKER" "$DESC" "$EVERY" "$EVERY" "$SCRIPT")" 0644 || exit 73
      echo "method cron"; echo "file $CRONF"
    fi ;;
  remove)
    if has_marker "$UNIT.timer"; then systemctl disable --now "$NAME.timer" 2>/dev/null || true; fi
    for f in "$CRONF" "$UNIT.service" "$UNIT.timer" "$SCRIPT"; do
      if has_marker "$f"; then rm -f "$f" && echo "removed $f"; elif [ -e "$f" ]; then echo "kept $f (not written by Mailops)"; fi
    done
    has_marker "$UNIT.service" || [ ! -d /run/systemd/system ] || systemctl daemon-reload 2>/dev/null || true ;;
  status)
    for f in "$CRONF" "$UNIT.timer" "$UNIT.service" "$SCRIPT"; do has_marker "$f" && echo "file $f"; done
    has_marker "$CRONF" && { echo "method cron"; sed -n 's/^# every=//p' "$CRONF" | head -n 1 | sed 's/^/every /'; }
    has_marker "$UNIT.timer" && { echo "method systemd"; sed -n 's/^# every=//p' "$UNIT.timer" | head -n 1 | sed 's/^/every /'; }
    : ;;
esac
echo END
`;

function scheduleScript(action: 'install' | 'remove' | 'status', spec: { name: string; dir: string; every?: string; text?: string; description?: string; method?: 'auto' | 'cron' }): BuiltScript {
  if (!/^[A-Za-z0-9_-]+$/.test(spec.name)) throw new UsageError(`invalid schedule name ${spec.name}`);
  checkBackupRoot(spec.dir);
  if (!SAFE_PATH.test(spec.dir)) throw new UsageError(`the backup root ${spec.dir} holds characters that cannot go into a cron line`, { hint: 'use a backupRoot made of letters, digits and . _ / @ + -' });
  const every = spec.every ?? '';
  let calendar = '';
  if (action === 'install') {
    parseCron(every);
    try {
      calendar = cronToOnCalendar(every);
    } catch {
      calendar = '';
    }
  }
  const b = new ScriptBuilder('mailops-schedule');
  b.param('ACTION', action);
  b.param('NAME', spec.name);
  b.param('SDIR', spec.dir);
  b.param('EVERY', every);
  b.param('CALENDAR', calendar);
  b.param('TEXT', spec.text ?? '');
  b.param('DESC', (spec.description ?? '').replace(/[\r\n]/g, ' '));
  b.param('MARKER', SCHEDULE_MARKER);
  b.param('METHOD', calendar ? (spec.method ?? 'auto') : 'cron');
  b.add(SCHEDULE_BODY);
  return b.build();
}

function parseScheduleOutput(name: string, out: string): ScheduleStatus {
  const lines = out.split('\n');
  const files = lines.filter((l) => l.startsWith('file ')).map((l) => l.slice(5));
  const method = lines.find((l) => l.startsWith('method '))?.slice(7) as 'cron' | 'systemd' | undefined;
  return {
    name,
    installed: files.length > 0,
    method: method ?? null,
    systemdIsInit: lines.includes('systemd_init yes'),
    every: lines.find((l) => l.startsWith('every '))?.slice(6) ?? null,
    script: files.find((f) => f.endsWith('.sh')) ?? null,
    files,
  };
}

async function runSchedule(ctx: HostContext, built: BuiltScript, what: string) {
  return runChecked(ctx, built.argv, { timeoutMs: 120_000, what, displayArgv: ['sh', '-c', '<schedule script>', ...built.args.slice(0, 3)] }, (code, r) =>
    code === 73 ? { meaning: r.stderr.includes('refuse') ? 'a file of that name exists and was not written by Mailops' : r.stderr.includes(' path fail ') ? 'the schedules folder is unsafe (see the path line in stderr)' : 'a file could not be written', hint: 'check the path in the message; Mailops never overwrites files it did not write' } : undefined,
  );
}

export async function installSchedule(ctx: HostContext, spec: ScheduleSpec, method: 'auto' | 'cron' = 'auto'): Promise<ScheduleStatus> {
  const text = spec.built.fileText(`${SCHEDULE_MARKER} (${spec.name})`);
  const built = scheduleScript('install', { name: spec.name, dir: spec.dir, every: spec.every, text, description: spec.description, method });
  const r = await runSchedule(ctx, built, `installing schedule ${spec.name} failed`);
  return { ...parseScheduleOutput(spec.name, r.stdout), every: spec.every };
}

export async function removeSchedule(ctx: HostContext, name: string, dir: string): Promise<{ removed: string[]; kept: string[] }> {
  const r = await runSchedule(ctx, scheduleScript('remove', { name, dir }), `removing schedule ${name} failed`);
  const lines = r.stdout.split('\n');
  return { removed: lines.filter((l) => l.startsWith('removed ')).map((l) => l.slice(8)), kept: lines.filter((l) => l.startsWith('kept ')).map((l) => l.slice(5).replace(/ \(not written by Mailops\)$/, '')) };
}

export async function scheduleStatus(ctx: HostContext, name: string, dir: string): Promise<ScheduleStatus> {
  const r = await runSchedule(ctx, scheduleScript('status', { name, dir }), `reading schedule ${name} failed`);
  return parseScheduleOutput(name, r.stdout);
}
