/**
 * Readers of a backup hold the account's (or the Cyrus host's) lock SHARED while they read.
 *
 * A backup run holds layout.lock exclusive from start to end (script.ts mo_lock): its mirror sync changes
 * the mirror, and its retention deletes whole archive chains. A restore, a browse of the mirror or an
 * extraction reads those files over several commands, so the lock has to be held on the host across them:
 * a small script takes `flock -s` on the same file and keeps it until it is stopped (release(), which
 * cancels it: the transport kills its process group) or its connection goes (the script's watchdog stops
 * it, script.ts), so a reader that crashes or loses the network never keeps the lock. While a reader holds
 * it, a backup run waits (its log says so: `lock wait`) or, with --no-wait, skips; while a run holds it,
 * a reader waits, and says so through `onWait`.
 */
import { CommandFailedError, TransportError, UsageError } from '../errors';
import type { HostContext } from '../hosts/context';
import { privilegedArgv } from '../hosts/context';
import { shellLine } from '../transport/quote';
import { checkBackupRoot, type BackupLayout } from './layout';
import { ScriptBuilder, sh } from './script';

/** Seconds a reader waits for a running backup to end (as long as a run waits for another). */
export const DEFAULT_READER_LOCK_TIMEOUT = 300;

const HOLD_BODY = sh`
if [ ! -d "$DIR" ]; then echo 'MAILOPS-LOCK nodir'; exit 0; fi
if ! command -v flock >/dev/null 2>&1; then echo 'MAILOPS-LOCK no-flock'; exit 69; fi
exec 9>>"$LOCK" || { echo 'MAILOPS-LOCK cannot-open'; exit 73; }
if ! flock -s -n 9; then
  echo 'MAILOPS-LOCK wait'
  flock -s -w "$TIMEOUT" 9 || { echo 'MAILOPS-LOCK timeout'; exit 75; }
fi
echo 'MAILOPS-LOCK held'
# Hold it until stopped (release, or the watchdog when the connection goes); sleep does not inherit it.
while :; do sleep 3600 9>&-; done
`;

export interface HeldLock {
  /** The lock file on the host. */
  path: string;
  /** Whether a backup run held it when the reader came (and the reader waited for it). */
  waited: boolean;
  /** Give the lock back (idempotent); resolves once the holder on the host has ended. */
  release(): Promise<void>;
}

export interface HoldOptions {
  signal?: AbortSignal;
  /** Seconds to wait for a running backup (default DEFAULT_READER_LOCK_TIMEOUT). */
  timeoutSeconds?: number;
  /** Told once when the lock is held by a backup run and the reader starts waiting. */
  onWait?: (message: string) => void;
  /** What is being read, for messages ("the mirror of alice"). */
  what?: string;
}

/**
 * Hold `layout.lock` shared. Resolves null when the backup folder does not exist (nothing to protect:
 * the caller finds no backup either).
 */
export async function holdSharedLock(ctx: HostContext, layout: Pick<BackupLayout, 'root' | 'dir' | 'lock'>, opts: HoldOptions = {}): Promise<HeldLock | null> {
  checkBackupRoot(layout.root);
  const timeout = opts.timeoutSeconds ?? DEFAULT_READER_LOCK_TIMEOUT;
  if (!Number.isInteger(timeout) || timeout < 0) throw new UsageError('the lock timeout must be a whole number of seconds');
  const b = new ScriptBuilder('mailops-read-lock');
  b.param('DIR', layout.dir);
  b.param('LOCK', layout.lock);
  b.param('TIMEOUT', String(timeout));
  b.add(HOLD_BODY);
  const built = b.build();
  const argv = privilegedArgv(ctx, built.argv);
  const display = shellLine(privilegedArgv(ctx, ['sh', '-c', '<read-lock script>', built.name, ...built.args]));
  const proc = ctx.transport.spawn(argv, { signal: opts.signal });
  const exit = proc.exit.then(
    (s) => ({ ok: true as const, s }),
    (e: unknown) => ({ ok: false as const, e }),
  );
  let stderr = '';
  proc.stderr.on('data', (c: Buffer) => {
    if (stderr.length < 16_384) stderr += c.toString('utf8');
  });
  let waited = false;
  // Read the holder's status lines as they come, and keep draining stdout after "held".
  const state = await new Promise<string | null>((resolve) => {
    let buf = '';
    let done = false;
    proc.stdout.on('data', (c: Buffer) => {
      if (done) return;
      buf += c.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const m = /^MAILOPS-LOCK (\S+)$/.exec(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (!m) continue;
        if (m[1] === 'wait') {
          waited = true;
          opts.onWait?.(`a backup run of ${opts.what ?? layout.dir} holds ${layout.lock}: waiting up to ${timeout} s for it to end`);
          continue;
        }
        done = true;
        resolve(m[1]!);
        return;
      }
    });
    const ended = () => {
      if (!done) resolve(null);
    };
    proc.stdout.once('end', ended);
    proc.stdout.once('close', ended);
    void exit.then(() => setTimeout(ended, 1000));
  });
  if (state === 'held') {
    let released: Promise<void> | null = null;
    return {
      path: layout.lock,
      waited,
      release() {
        released ??= (async () => {
          proc.cancel('lock released');
          const x = await exit;
          // Cancelled is how a holder ends; anything else after "held" changes nothing for the caller.
          if (!x.ok && !(x.e instanceof TransportError)) throw x.e;
        })();
        return released;
      },
    };
  }
  const x = await exit;
  if (!x.ok) throw x.e;
  if (state === 'nodir' && x.s.code === 0) return null;
  const meaning =
    state === 'timeout'
      ? `a backup run kept the lock for more than ${timeout} s`
      : state === 'no-flock'
        ? 'flock(1) (util-linux) is not installed on the host'
        : state === 'cannot-open'
          ? `the lock file ${layout.lock} cannot be opened`
          : 'the lock script ended without taking the lock';
  throw new CommandFailedError(`could not take the read lock of ${opts.what ?? layout.dir}`, {
    host: ctx.config.name,
    command: display,
    exitCode: x.s.code,
    signal: x.s.signal,
    meaning,
    hint: state === 'timeout' ? 'wait for the backup run to end (its log is under logs/ in the backup folder) and try again' : 'read stderr; check the backup folder on the host',
    stderr,
  });
}
