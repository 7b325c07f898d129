/**
 * Typed records of the Dovecot browse / verify / restore engine. Plain JSON-able data only (no Dates,
 * no Maps, no class instances): the CLI prints them with --json, the editor's tree and restore preview
 * render them as they are.
 */

/** Where messages are read from. */
export type BackupSetRef =
  /** The account's live mail. */
  | { kind: 'live' }
  /** The `doveadm backup` mirror (layout.mirror), read through doveadm overrides in the host's dialect (proved on open). */
  | { kind: 'mirror' }
  /** One point of an archive chain (full or incremental), extracted to a temporary folder on the host. */
  | { kind: 'archive'; archiveId: string }
  /** lazy_expunge's mailbox (e.g. EXPUNGED) of the live account. */
  | { kind: 'expunged' };

/** A mail account (a doveadm user). */
export interface Account {
  name: string;
}

/** `doveadm mailbox status` of one mailbox. Numbers are null when doveadm printed nothing usable. */
export interface MailboxStatus {
  account: string;
  /** Full mailbox name with the namespace's hierarchy separator (e.g. "Archive/2024"). */
  name: string;
  messages: number;
  unseen: number;
  /** Sum of the messages' virtual sizes, bytes. */
  vsize: number;
  /** Mailbox GUID (kept by dsync in backups). */
  guid: string;
  uidvalidity: number;
  uidnext: number;
  highestmodseq: number;
}

/** One message as listed by `doveadm fetch`. */
export interface MessageSummary {
  account: string;
  mailbox: string;
  uid: number;
  /** Message GUID (maildir: the file's base name); kept by dsync and by import on one file system. */
  guid: string;
  /** System flags and keywords, e.g. ["\\Seen", "$Restored"]. */
  flags: string[];
  /** Virtual size (as IMAP RFC822.SIZE), bytes. */
  size: number;
  /** Received (IMAP internal) date, ISO 8601 UTC, or null when unknown. */
  received: string | null;
  /** Date header, ISO 8601 UTC, or null when missing or unparsable. */
  sent: string | null;
  /** Header values with RFC 2047 encoded words decoded and folding removed. */
  from: string;
  to: string;
  subject: string;
  /** Message-ID header (with angle brackets), or null when missing. */
  messageId: string | null;
}

/** What to restore: every given criterion must match (an empty selection means everything in the set). */
export interface RestoreSelection {
  /** Source mailbox names (exact). */
  mailboxes?: string[];
  /** Source UIDs (meaningful with one mailbox). */
  uids?: number[];
  guids?: string[];
  /** Received date >= since (ISO date or date-time). */
  since?: string;
  /** Received date < before. */
  before?: string;
  /** Case-insensitive substring of the decoded From header. */
  from?: string;
  /** Case-insensitive substring of the decoded Subject. */
  subject?: string;
}

export type RestoreTarget =
  /** Into a new folder: each source folder F lands in `folder<sep>F` (expunged mail lands in `folder`). */
  | { mode: 'new-folder'; folder: string }
  /** Back into the folders the messages came from. */
  | { mode: 'original' };

/** One message of a restore plan. */
export interface PlannedMessage {
  /** UID in the source set (not kept by the restore). */
  uid: number;
  guid: string;
  messageId: string | null;
  from: string;
  subject: string;
  /** Sent date when known, else received date (ISO 8601), else null. */
  date: string | null;
  size: number;
  /** Source folder. */
  folder: string;
  /** Live folder the message goes to (toRestore) or where it already is (alreadyPresent). */
  destination: string;
  /** For alreadyPresent: how it was found live. */
  presentBy?: 'guid' | 'message-id';
}

export interface RestorePlan {
  host: string;
  account: string;
  source: BackupSetRef;
  /** Human label of the source, e.g. "mirror", "archive 20261122T041500Z-1", "expunged". */
  sourceLabel: string;
  selection: RestoreSelection;
  target: RestoreTarget;
  /** The live namespace's hierarchy separator. */
  separator: string;
  /** When the plan was made (ISO 8601). */
  createdAt: string;
  toRestore: PlannedMessage[];
  alreadyPresent: PlannedMessage[];
  /** Source folders the selection named that the set does not have. */
  missingMailboxes: string[];
  totals: { toRestore: number; alreadyPresent: number; bytes: number };
}

/** One line of the host's operation log (layout.opsLog). */
export interface RestoreOpRecord {
  /** Operation id: `r-<UTC stamp>-<random>`; `mailops restore --undo ID` takes it. */
  id: string;
  kind: 'restore' | 'undo';
  time: string;
  account: string;
  source: string;
  target: RestoreTarget;
  /** Where each restored message went (the folders expunged by an undo). */
  items: Array<{ folder: string; guid: string }>;
  /** For kind 'undo': the restore it undid. */
  undoes?: string;
}

export interface RestoreResult {
  dryRun: boolean;
  plan: RestorePlan;
  /** Operation id in the ops log (null for a dry run or when nothing was restored). */
  opId: string | null;
  restored: Array<{ folder: string; guid: string }>;
  /** Planned messages that were not found live after the restore (should be empty). */
  notConfirmed: Array<{ folder: string; guid: string }>;
  opsLog: string;
}

export interface UndoResult {
  dryRun: boolean;
  opId: string;
  account: string;
  /** Messages that are (or would be) expunged, per folder. */
  expunge: Array<{ folder: string; guid: string }>;
  /** Messages of the operation no longer found in their folder (nothing to do for them). */
  alreadyGone: Array<{ folder: string; guid: string }>;
  /** Id of the undo record written to the ops log (null for a dry run). */
  undoOpId: string | null;
}

/** A message of a verification sample. */
export interface VerifySample {
  guid: string;
  uid: number;
  subject: string;
  received: string | null;
}

export interface VerifyMailbox {
  mailbox: string;
  live: number;
  backup: number;
  /** Live messages the backup lacks. */
  missing: number;
  /** Of those, received/saved before the backup run: a failure. */
  missingOlder: number;
  /** Of those, arrived after the backup run: expected, not a failure. */
  missingNewer: number;
  /** Backup messages no longer live (deleted after the backup, or restorable). */
  extra: number;
  /** Messages whose GUID the backup holds in another folder (moved after the backup). */
  moved: number;
  /** First missing / extra messages (up to a handful each). */
  missingSamples: VerifySample[];
  extraSamples: VerifySample[];
  /** True when the whole mailbox exists only on one side. */
  onlyLive?: boolean;
  onlyBackup?: boolean;
}

export interface VerifyReport {
  host: string;
  account: string;
  set: BackupSetRef;
  setLabel: string;
  /** When the backup compared against was made (ISO 8601), or null when unknown. */
  backupTime: string | null;
  checkedAt: string;
  mailboxes: VerifyMailbox[];
  /** Mailboxes left out of the comparison (lazy_expunge's), with the reason. */
  skipped: Array<{ mailbox: string; reason: string }>;
  totals: { live: number; backup: number; missing: number; missingOlder: number; missingNewer: number; extra: number; moved: number };
  /** False when the backup lacks mail older than the backup run. */
  ok: boolean;
  /** Where the result was recorded on the host for `health` (verify.last), or why it could not be. */
  record?: { path: string | null; error: string | null };
}
