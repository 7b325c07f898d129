/**
 * The typed protocol between the restore preview webview (webview/) and the extension (src/extension/preview/).
 *
 * Shaped like GitLens' src/webviews/protocol.ts:
 *   - commands      webview -> extension, fire and forget     (`WebviewCommand`)
 *   - notifications extension -> webview, fire and forget     (`ExtensionNotification`)
 *   - requests      webview -> extension with a `requestId`; the extension answers with exactly one
 *                   `response` notification carrying the same `requestId` and `method` (`PreviewRequest` /
 *                   `PreviewResponse`).
 *
 * Both Dovecot restore plans and Cyrus unexpunge selections reach the webview as `PreviewRow`s; the extension maps
 * its engine's records onto this one type. Every message that crosses the boundary is checked with the guards
 * below: the extension never trusts what the webview posts (`isWebviewMessage`), and the webview ignores anything
 * that is not an `ExtensionMessage`.
 *
 * This file imports neither `vscode` nor the DOM: it is bundled into both faces and runs in node:test as is.
 */

export const PREVIEW_VIEW_TYPE = 'mailops.restorePreview';
/** The attribute of the page's <mailops-restore-preview> that carries the l10n bundle as JSON (html.ts). */
export const PREVIEW_L10N_ATTRIBUTE = 'data-l10n';
/** 2: rows carry their destination, progress is structured (no English text crosses), restores are confirmed in steps. */
export const PREVIEW_PROTOCOL_VERSION = 2;

/** Rows per `plan/rows` notification: 100,000 rows arrive as 50 messages of a few hundred kB each. */
export const PLAN_CHUNK_SIZE = 2000;

/** Limits the guards enforce on what the webview sends (a compromised webview must not exhaust the host). */
export const LIMITS = {
  idLength: 512,
  /** More ids than any plan can hold: runRestore with more than this is refused outright. */
  maxIds: 1_000_000,
  folderLength: 512,
  searchLength: 1000,
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Data

export type PreviewEngine = 'dovecot' | 'cyrus';
export type RowStatus = 'new' | 'present';

/** One message of a restore plan or an unexpunge selection, as the table shows it. */
export interface PreviewRow {
  /** Unique within one plan; opaque to the webview (Dovecot: `folder\0uid`; Cyrus: `mailbox\0uid`). */
  readonly id: string;
  readonly uid: number;
  /** Dovecot mail GUID; absent for Cyrus. */
  readonly guid?: string;
  /** Message-ID header without angle brackets, when the message has one. */
  readonly messageId?: string;
  readonly from: string;
  readonly to?: string;
  readonly subject: string;
  /** ISO 8601 (UTC), the message date (Dovecot: `date.sent` or saved; Cyrus: `sent`). Empty when unknown. */
  readonly date: string;
  /** Bytes. */
  readonly size: number;
  /** Folder (Dovecot mailbox name, Cyrus mailbox) the message is in, in the source set. */
  readonly folder: string;
  /**
   * The live folder, as the engine planned it: where a `new` message will go (for the plan's target), or where a
   * `present` one already is. Faces show it; they never derive it.
   */
  readonly destination: string;
  /** `present`: the account already holds this message (same GUID / Message-ID) and it will be skipped. */
  readonly status: RowStatus;
  readonly source: PreviewEngine;
  /** Cyrus only: when the message was expunged (ISO 8601). */
  readonly expunged?: string;
}

/** What the tree passes to `mailops.restore.preview`, and what the webview state keeps to survive a reload. */
export interface PreviewOrigin {
  readonly engine: PreviewEngine;
  /** Configured host name. */
  readonly host: string;
  /** Mail account (Dovecot user, Cyrus user). */
  readonly account: string;
  /** What is restored from: a Dovecot backup set (e.g. `2026-11-20`, `latest`) or Cyrus `expunged`. */
  readonly source: string;
}

/** What a preview's `source` names, for titles and headers (each face words it in its own language). */
export type SourceName =
  | { readonly kind: 'mirror' }
  | { readonly kind: 'archive'; readonly id: string }
  | { readonly kind: 'expunged' }
  | { readonly kind: 'other'; readonly name: string };

/** `mirror`, `archive:ID`, `expunged` (what the tree passes and the CLI takes after --from). */
export function sourceName(source: string): SourceName {
  if (source === 'mirror') return { kind: 'mirror' };
  if (source === 'expunged') return { kind: 'expunged' };
  if (source.startsWith('archive:') && source.length > 'archive:'.length) return { kind: 'archive', id: source.slice('archive:'.length) };
  return { kind: 'other', name: source };
}

/** The header above the table. */
export interface PlanHeader {
  readonly origin: PreviewOrigin;
  /** `Restored/YYYY-MM-DD HHMM` (local time of the extension host, see `defaultTargetFolder`). */
  readonly defaultTarget: string;
  /**
   * The target the rows' destinations were planned for. Absent (a header sent before the engine planned): a new
   * folder `defaultTarget` when `folderTargetAllowed`, else the original folders.
   */
  readonly target?: RestoreTarget;
  /** Whether "into the original folders" is offered (Cyrus unexpunge always restores into the original mailbox). */
  readonly intoOriginalAllowed: boolean;
  /** Whether a separate target folder can be chosen at all. */
  readonly folderTargetAllowed: boolean;
}

export type RestoreTarget = { readonly kind: 'folder'; readonly folder: string } | { readonly kind: 'original' };

export interface PreviewContent {
  readonly id: string;
  /** Header name/value pairs in message order. */
  readonly headers: readonly (readonly [string, string])[];
  /** text/plain body (or a text rendering of the HTML part). */
  readonly text: string;
  /** text/html body when the message has one; the webview sanitises it before showing it. */
  readonly html?: string;
  /** True when the body was cut to a size limit by the engine. */
  readonly truncated?: boolean;
}

/** One folder and how many messages go to (or went to) it. */
export interface FolderCount {
  readonly folder: string;
  readonly messages: number;
}

/**
 * How far a restore is, as the engine reports it (structured: the webview words it). `done` of `total` messages
 * carried out; `folder` → `destination` is the group the engine works on now.
 */
export interface RestoreProgress {
  readonly done: number;
  readonly total: number;
  readonly unit: 'message';
  readonly folder?: string;
  readonly destination?: string;
}

/** What a confirmed restore will do, from the plan made right before it (shown in the dialog and while it runs). */
export interface RestoreSummary {
  /** Messages that will be restored. */
  readonly messages: number;
  /** Chosen messages already in the account: skipped. */
  readonly skipped: number;
  readonly target: RestoreTarget;
  /** Where they go, in plan order. */
  readonly destinations: readonly FolderCount[];
}

export interface VerifyOutcome {
  /** Messages looked for in the target after the restore. */
  readonly checked: number;
  /** Of those, how many were not found: must be 0. */
  readonly missing: number;
  /** Up to a few ids of missing messages, for the operator. */
  readonly missingIds?: readonly string[];
}

export interface RestoreOutcome {
  readonly restored: number;
  /** Skipped because they are already present in the account. */
  readonly skipped: number;
  readonly failed: number;
  readonly target: RestoreTarget;
  /** The live folders the messages were restored into, in plan order. */
  readonly destinations: readonly FolderCount[];
  readonly verify: VerifyOutcome;
}

/** An error as the operator sees it (MailopsError.toJSON fields that matter in the view). */
export interface PreviewError {
  readonly message: string;
  readonly host?: string;
  readonly command?: string;
  readonly hint?: string;
}

// ---------------------------------------------------------------------------------------------------------------
// webview -> extension

export type WebviewCommand =
  /** The page is up; `target`: the operator's target kept from before a reload (the plan is made for it). */
  | { readonly type: 'ready'; readonly protocol: number; readonly target?: RestoreTarget }
  | { readonly type: 'select'; readonly ids: readonly string[] }
  | { readonly type: 'setTarget'; readonly target: RestoreTarget }
  | { readonly type: 'runRestore'; readonly ids: readonly string[]; readonly target: RestoreTarget }
  | { readonly type: 'cancelRestore' }
  | { readonly type: 'reload' };

export interface PreviewRequestMap {
  readonly preview: { readonly params: { readonly id: string }; readonly result: PreviewContent };
}
export type PreviewRequestMethod = keyof PreviewRequestMap;

export type PreviewRequest = {
  [M in PreviewRequestMethod]: {
    readonly type: 'request';
    readonly requestId: number;
    readonly method: M;
    readonly params: PreviewRequestMap[M]['params'];
  };
}[PreviewRequestMethod];

export type WebviewMessage = WebviewCommand | PreviewRequest;

// ---------------------------------------------------------------------------------------------------------------
// extension -> webview

export type PreviewResponse = {
  [M in PreviewRequestMethod]:
    | { readonly type: 'response'; readonly requestId: number; readonly method: M; readonly ok: true; readonly result: PreviewRequestMap[M]['result'] }
    | { readonly type: 'response'; readonly requestId: number; readonly method: M; readonly ok: false; readonly error: PreviewError };
}[PreviewRequestMethod];

export type ErrorScope = 'plan' | 'preview' | 'restore' | 'protocol';

export type ExtensionNotification =
  /** A (re)load begins: the webview drops any rows it has. */
  | { readonly type: 'plan/start'; readonly header: PlanHeader; readonly loadId: number }
  /** The next chunk (`seq` counts from 0 within one `loadId`). */
  | { readonly type: 'plan/rows'; readonly loadId: number; readonly seq: number; readonly rows: readonly PreviewRow[] }
  /** The last chunk was sent; `header`: the header as the engine's plan settled it (its target, default folder). */
  | { readonly type: 'plan/end'; readonly loadId: number; readonly total: number; readonly header?: PlanHeader }
  /** A runRestore was checked against a fresh plan; the operator is asked now (nothing has started). */
  | { readonly type: 'restore/confirming'; readonly summary: RestoreSummary }
  /** The operator said no (or closed the dialog): nothing was done. */
  | { readonly type: 'restore/declined' }
  /** Confirmed: the restore runs. */
  | { readonly type: 'restore/started'; readonly summary: RestoreSummary }
  | { readonly type: 'restore/progress'; readonly progress: RestoreProgress }
  | { readonly type: 'restore/result'; readonly result: RestoreOutcome }
  | { readonly type: 'error'; readonly scope: ErrorScope; readonly error: PreviewError };

export type ExtensionMessage = ExtensionNotification | PreviewResponse;

// ---------------------------------------------------------------------------------------------------------------
// Webview state kept with vscode.setState (survives hiding and window reload; the serializer gets it back).

export type SortKey = 'from' | 'subject' | 'date' | 'size' | 'folder' | 'destination' | 'status';
export type SortDir = 'asc' | 'desc';
export type StatusFilter = 'all' | 'new' | 'present';

export interface PreviewSort {
  readonly key: SortKey;
  readonly dir: SortDir;
}

export interface PreviewFilters {
  readonly text: string;
  /** YYYY-MM-DD, inclusive; empty for none. */
  readonly dateFrom: string;
  /** YYYY-MM-DD, inclusive; empty for none. */
  readonly dateTo: string;
  readonly status: StatusFilter;
}

export interface PreviewViewState {
  readonly v: 1;
  readonly origin?: PreviewOrigin;
  readonly selected: readonly string[];
  readonly filters: PreviewFilters;
  /** null: plan order (the order the engine listed the messages). */
  readonly sort: PreviewSort | null;
  readonly scrollTop: number;
  readonly focusedId?: string;
  readonly target?: RestoreTarget;
  readonly split?: string;
}

export const EMPTY_FILTERS: PreviewFilters = { text: '', dateFrom: '', dateTo: '', status: 'all' };

// ---------------------------------------------------------------------------------------------------------------
// Helpers shared by both faces

/** `Restored/YYYY-MM-DD HHMM` for the given moment, in local time. */
export function defaultTargetFolder(now: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `Restored/${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())} ${p(now.getHours())}${p(now.getMinutes())}`;
}

/** Why a target folder name is refused (each face words it); see targetFolderProblem. */
export type TargetProblem = 'empty' | 'tooLong' | 'control' | 'wildcard' | 'emptySegment' | 'dotSegment';

/** Why a target folder name is refused, or undefined when it is fine (IMAP mailbox names: no controls, no `*%`). */
export function targetFolderProblem(folder: string): TargetProblem | undefined {
  if (folder.trim() === '') return 'empty';
  if (folder.length > LIMITS.folderLength) return 'tooLong';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(folder)) return 'control';
  if (/[*%]/.test(folder)) return 'wildcard';
  if (folder.startsWith('/') || folder.endsWith('/') || folder.includes('//')) return 'emptySegment';
  if (folder.split('/').some((s) => s === '.' || s === '..')) return 'dotSegment';
  return undefined;
}

/** The target for the log (English, never shown in the UI: the faces word targets themselves). */
export function describeTarget(target: RestoreTarget): string {
  return target.kind === 'original' ? '(original folders)' : target.folder;
}

/** The target a header's rows were planned for (see PlanHeader.target). */
export function plannedTarget(h: PlanHeader): RestoreTarget {
  return h.target ?? (h.folderTargetAllowed ? { kind: 'folder', folder: h.defaultTarget } : { kind: 'original' });
}

export function sameTarget(a: RestoreTarget | undefined, b: RestoreTarget | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.kind === b.kind && (a.kind === 'original' || a.folder === (b as { folder: string }).folder);
}

/** Whether a header offers this target. */
export function targetAllowed(h: PlanHeader, t: RestoreTarget): boolean {
  return t.kind === 'original' ? h.intoOriginalAllowed : h.folderTargetAllowed;
}

// ---------------------------------------------------------------------------------------------------------------
// Guards

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function hasOnly(o: Obj, keys: readonly string[]): boolean {
  return Object.keys(o).every((k) => keys.includes(k));
}
function isStr(v: unknown, max = Number.MAX_SAFE_INTEGER): v is string {
  return typeof v === 'string' && v.length <= max;
}
function isOptStr(v: unknown): v is string | undefined {
  return v === undefined || typeof v === 'string';
}
function isNat(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
function isEngine(v: unknown): v is PreviewEngine {
  return v === 'dovecot' || v === 'cyrus';
}

export function isId(v: unknown): v is string {
  return isStr(v, LIMITS.idLength) && v.length > 0;
}

export function isIdList(v: unknown): v is readonly string[] {
  if (!Array.isArray(v) || v.length > LIMITS.maxIds) return false;
  for (const x of v) if (!isId(x)) return false;
  return true;
}

export function isRestoreTarget(v: unknown): v is RestoreTarget {
  if (!isObj(v)) return false;
  if (v.kind === 'original') return hasOnly(v, ['kind']);
  if (v.kind === 'folder') return hasOnly(v, ['kind', 'folder']) && isStr(v.folder) && targetFolderProblem(v.folder) === undefined;
  return false;
}

export function isPreviewOrigin(v: unknown): v is PreviewOrigin {
  return isObj(v) && isEngine(v.engine) && isStr(v.host, 256) && v.host.length > 0 && isStr(v.account, 512) && v.account.length > 0 && isStr(v.source, 512);
}

type Guard = (v: Obj) => boolean;

/** One guard per webview message type: adding a type to the union without its guard is a type error. */
const WEBVIEW_GUARDS = {
  ready: (v) => hasOnly(v, ['type', 'protocol', 'target']) && isNat(v.protocol) && (v.target === undefined || isRestoreTarget(v.target)),
  select: (v) => hasOnly(v, ['type', 'ids']) && isIdList(v.ids),
  setTarget: (v) => hasOnly(v, ['type', 'target']) && isRestoreTarget(v.target),
  runRestore: (v) => hasOnly(v, ['type', 'ids', 'target']) && isIdList(v.ids) && v.ids.length > 0 && isRestoreTarget(v.target),
  cancelRestore: (v) => hasOnly(v, ['type']),
  reload: (v) => hasOnly(v, ['type']),
  request: (v) => isPreviewRequest(v),
} satisfies Record<WebviewMessage['type'], Guard>;

/** Validates one message posted by the webview. The extension drops (and logs) anything else. */
export function isWebviewMessage(v: unknown): v is WebviewMessage {
  if (!isObj(v) || typeof v.type !== 'string' || !Object.hasOwn(WEBVIEW_GUARDS, v.type)) return false;
  return WEBVIEW_GUARDS[v.type as WebviewMessage['type']](v);
}

export function isPreviewRequest(v: unknown): v is PreviewRequest {
  if (!isObj(v) || v.type !== 'request' || !hasOnly(v, ['type', 'requestId', 'method', 'params']) || !isNat(v.requestId)) return false;
  switch (v.method) {
    case 'preview':
      return isObj(v.params) && hasOnly(v.params, ['id']) && isId(v.params.id);
    default:
      return false;
  }
}

export function isPreviewRow(v: unknown): v is PreviewRow {
  return (
    isObj(v) &&
    isId(v.id) &&
    isNat(v.uid) &&
    isOptStr(v.guid) &&
    isOptStr(v.messageId) &&
    isStr(v.from) &&
    isOptStr(v.to) &&
    isStr(v.subject) &&
    isStr(v.date) &&
    isNat(v.size) &&
    isStr(v.folder) &&
    isStr(v.destination) &&
    (v.status === 'new' || v.status === 'present') &&
    isEngine(v.source) &&
    isOptStr(v.expunged)
  );
}

function isPlanHeader(v: unknown): v is PlanHeader {
  return (
    isObj(v) &&
    isPreviewOrigin(v.origin) &&
    isStr(v.defaultTarget) &&
    (v.target === undefined || isRestoreTarget(v.target)) &&
    typeof v.intoOriginalAllowed === 'boolean' &&
    typeof v.folderTargetAllowed === 'boolean'
  );
}

function isPreviewError(v: unknown): v is PreviewError {
  return isObj(v) && isStr(v.message) && isOptStr(v.host) && isOptStr(v.command) && isOptStr(v.hint);
}

function isPreviewContent(v: unknown): v is PreviewContent {
  return (
    isObj(v) &&
    isId(v.id) &&
    Array.isArray(v.headers) &&
    v.headers.every((h: unknown) => Array.isArray(h) && h.length === 2 && isStr(h[0]) && isStr(h[1])) &&
    isStr(v.text) &&
    isOptStr(v.html) &&
    (v.truncated === undefined || typeof v.truncated === 'boolean')
  );
}

function isFolderCounts(v: unknown): v is readonly FolderCount[] {
  return Array.isArray(v) && v.every((d: unknown) => isObj(d) && isStr(d.folder) && isNat(d.messages));
}

function isRestoreSummary(v: unknown): v is RestoreSummary {
  return isObj(v) && isNat(v.messages) && isNat(v.skipped) && isRestoreTarget(v.target) && isFolderCounts(v.destinations);
}

function isRestoreProgress(v: unknown): v is RestoreProgress {
  return isObj(v) && isNat(v.done) && isNat(v.total) && v.unit === 'message' && isOptStr(v.folder) && isOptStr(v.destination);
}

function isRestoreOutcome(v: unknown): v is RestoreOutcome {
  return (
    isObj(v) &&
    isNat(v.restored) &&
    isNat(v.skipped) &&
    isNat(v.failed) &&
    isRestoreTarget(v.target) &&
    isFolderCounts(v.destinations) &&
    isObj(v.verify) &&
    isNat(v.verify.checked) &&
    isNat(v.verify.missing) &&
    (v.verify.missingIds === undefined || isIdList(v.verify.missingIds))
  );
}

type DeepGuard = (v: Obj, deep: boolean) => boolean;

/** One guard per extension message type (exhaustive, as WEBVIEW_GUARDS). */
const EXTENSION_GUARDS = {
  'plan/start': (v) => isPlanHeader(v.header) && isNat(v.loadId),
  'plan/rows': (v, deep) =>
    isNat(v.loadId) && isNat(v.seq) && Array.isArray(v.rows) && (deep ? v.rows.every(isPreviewRow) : v.rows.length === 0 || isPreviewRow(v.rows[0])),
  'plan/end': (v) => isNat(v.loadId) && isNat(v.total) && (v.header === undefined || isPlanHeader(v.header)),
  'restore/confirming': (v) => isRestoreSummary(v.summary),
  'restore/declined': (v) => hasOnly(v, ['type']),
  'restore/started': (v) => isRestoreSummary(v.summary),
  'restore/progress': (v) => isRestoreProgress(v.progress),
  'restore/result': (v) => isRestoreOutcome(v.result),
  error: (v) => (v.scope === 'plan' || v.scope === 'preview' || v.scope === 'restore' || v.scope === 'protocol') && isPreviewError(v.error),
  response: (v) => {
    if (!isNat(v.requestId) || v.method !== 'preview') return false;
    return v.ok === true ? isPreviewContent(v.result) : v.ok === false && isPreviewError(v.error);
  },
} satisfies Record<ExtensionMessage['type'], DeepGuard>;

/**
 * Validates a message from the extension. Rows of a `plan/rows` chunk are checked one by one only when `deep` is
 * set (the webview checks the first row of each chunk; the unit tests check all).
 */
export function isExtensionMessage(v: unknown, deep = false): v is ExtensionMessage {
  if (!isObj(v) || typeof v.type !== 'string' || !Object.hasOwn(EXTENSION_GUARDS, v.type)) return false;
  return EXTENSION_GUARDS[v.type as ExtensionMessage['type']](v, deep);
}

const SORT_KEYS: readonly SortKey[] = ['from', 'subject', 'date', 'size', 'folder', 'destination', 'status'];

/** Validates state read back with vscode.getState() (or handed to the serializer): a stale shape is dropped. */
export function isPreviewViewState(v: unknown): v is PreviewViewState {
  if (!isObj(v) || v.v !== 1) return false;
  const f = v.filters;
  const s = v.sort;
  return (
    (v.origin === undefined || isPreviewOrigin(v.origin)) &&
    isIdList(v.selected) &&
    isObj(f) &&
    isStr(f.text, LIMITS.searchLength) &&
    isStr(f.dateFrom, 10) &&
    isStr(f.dateTo, 10) &&
    (f.status === 'all' || f.status === 'new' || f.status === 'present') &&
    (s === null || (isObj(s) && SORT_KEYS.includes(s.key as SortKey) && (s.dir === 'asc' || s.dir === 'desc'))) &&
    typeof v.scrollTop === 'number' &&
    Number.isFinite(v.scrollTop) &&
    (v.focusedId === undefined || isId(v.focusedId)) &&
    (v.target === undefined || isRestoreTarget(v.target)) &&
    isOptStr(v.split)
  );
}
