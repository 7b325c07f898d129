/**
 * Cyrus IMAP's own error lines, as its tools print them and as its daemons send them to syslog
 * (`Nov 22 04:20:01 host cyrus/imap[1234]: IOERROR: …`). Cyrus 3.6 prefixes real failures with IOERROR
 * (file system / mailbox files) or DBERROR (cyrusdb: mailboxes.db and friends); `unexpunge` and
 * `reconstruct` print `Failed to open mailbox …` and `ERROR: cache record missing or corrupt`.
 * The dsync/doveadm lines have their own classifier (core/dovecot/warnings.ts).
 */
import type { LogFinding } from './explain';

interface CyrusRule {
  kind: string;
  re: RegExp;
  severity: LogFinding['severity'];
  meaning: string;
  action: string;
}

const RULES: readonly CyrusRule[] = [
  {
    kind: 'cyrus-ioerror',
    re: /\bIOERROR:?\s.*$/,
    severity: 'error',
    meaning: 'Cyrus could not read or write a mailbox file (cyrus.header, cyrus.index, cyrus.cache or a message file): a missing file, a permission problem, a full disk, or a damaged mailbox',
    action: 'check the path it names (owner cyrus, free space); for a damaged mailbox run `reconstruct -n MAILBOX` (dry run) and then `reconstruct MAILBOX`; take a file backup first',
  },
  {
    kind: 'cyrus-dberror',
    re: /\bDBERROR:?\s.*$/,
    severity: 'error',
    meaning: 'a Cyrus database (mailboxes.db, seen or subscription files, the duplicate db) could not be opened or written',
    action: 'check the configdirectory (owner cyrus, free space, stale locks); keep a `ctl_mboxlist -d` dump before any repair; `ctl_cyrusdb -r` recovers the databases with the master stopped',
  },
  {
    kind: 'cyrus-open-failed',
    re: /\bFailed to open mailbox\s.*$/,
    severity: 'error',
    meaning: 'the mailbox does not exist under that name (or cannot be opened); Cyrus tools may still exit 0 after this line',
    action: 'check the internal name (user.alice.Folder, or user/alice/Folder with unixhierarchysep) with `mbpath` or `ctl_mboxlist -d`; a deleted folder lives on as DELETED.… until it is expired',
  },
  {
    kind: 'cyrus-cache-corrupt',
    re: /\bcache record missing or corrupt\b.*$/,
    severity: 'warning',
    meaning: 'the cache file of the mailbox lacks a record for a message: headers shown for it may be empty; the message itself is not lost',
    action: 'run `reconstruct MAILBOX` to rebuild cyrus.cache',
  },
  {
    kind: 'cyrus-fatal',
    re: /\bFatal error:?\s.*$/i,
    severity: 'error',
    meaning: 'a Cyrus process stopped on an error it could not handle',
    action: 'read the lines before it in the same process ([PID]); fix the configuration or files it names and restart the service',
  },
];

/** The Cyrus finding of a line, if it has one. */
export function classifyCyrusLine(line: string): LogFinding | undefined {
  for (const r of RULES) {
    const m = r.re.exec(line);
    if (m) return { start: m.index, end: m.index + m[0].length, severity: r.severity, kind: r.kind, meaning: r.meaning, action: r.action, fields: {} };
  }
  return undefined;
}
