/**
 * The preview's state and what may happen to it: the plan as it streams in (header, rows, the filtered and
 * sorted view), the operator's choices (selection, focus, filters, sort, target), the message pane and the
 * restore's phases. It takes the extension's messages (`receive`) and the operator's intents (the methods), posts
 * commands through a port, and tells subscribers when something changed. No DOM and no Lit: unit tested in node.
 * The restore's phases are restorePhase.ts's.
 */
import {
  EMPTY_FILTERS,
  PREVIEW_PROTOCOL_VERSION,
  plannedTarget,
  targetAllowed,
  targetFolderProblem,
  type ExtensionMessage,
  type PlanHeader,
  type PreviewContent,
  type PreviewError,
  type PreviewFilters,
  type PreviewOrigin,
  type PreviewSort,
  type PreviewViewState,
  type RestoreTarget,
  type SortKey,
  type TargetProblem,
  type WebviewMessage,
} from '../src/shared/previewProtocol';
import { clickSelect, countNew, nextSort, selectedVisibleIds, toggleAllVisible, toggleAt, type ClickModifiers, type RowRecord } from './model';
import { PlanRows } from './planRows';
import { isBusy, nextPhase, type RestorePhase } from './restorePhase';
import { sanitizeHtml, type SanitizedHtml } from './sanitize';

export type DetailPane =
  | { readonly state: 'none' }
  | { readonly state: 'loading'; readonly id: string }
  | { readonly state: 'ready'; readonly content: PreviewContent; readonly sanitized?: SanitizedHtml }
  | { readonly state: 'error'; readonly id: string; readonly error: PreviewError };

/** What the store needs from outside (ipc.ts binds it to the VS Code API). */
export interface StorePorts {
  post(message: WebviewMessage): void;
  /** Something the saved view state holds changed (the caller debounces saving `snapshot()`). */
  persist(): void;
}

/** Delays of the debounced work (tests set them to 0). */
export interface StoreTiming {
  /** Re-sorting while sorted rows stream in. */
  readonly recomputeMs: number;
  /** Search typing. */
  readonly filterMs: number;
  /** Telling the extension the selection. */
  readonly selectMs: number;
  /** Telling the extension a typed target folder (it plans the destinations again). */
  readonly targetMs: number;
}

export const DEFAULT_TIMING: StoreTiming = { recomputeMs: 250, filterMs: 120, selectMs: 300, targetMs: 600 };

export type { RestorePhase } from './restorePhase';

export class PreviewStore {
  header: PlanHeader | undefined;
  loading = true;
  planError: PreviewError | undefined;
  /** The plan's rows and the filtered, sorted view of them. */
  readonly rows = new PlanRows();
  selected: ReadonlySet<string> = new Set();
  /** View position a shift-click or shift-arrow extends from. */
  anchor = -1;
  /** View position of the focused row, -1 for none. */
  focusPos = -1;
  focusedId: string | undefined;
  filters: PreviewFilters = EMPTY_FILTERS;
  sort: PreviewSort | null = null;
  /** The operator's target; undefined: the one the plan was made for (PlanHeader.target). */
  target: RestoreTarget | undefined;
  targetProblem: TargetProblem | undefined;
  restore: RestorePhase = { phase: 'idle' };
  detail: DetailPane = { state: 'none' };
  /** The grid's scroll position (kept silently: scrolling re-renders only the grid). */
  scrollTop = 0;
  /** A scroll position the grid should apply once enough rows are there (restored state, a reload, a filter). */
  pendingScrollTop: number | undefined;
  /** Position of the split between grid and message pane (vscode-split-layout's handlePosition). */
  split: string | undefined;
  /** Bumped on every change subscribers should render. */
  version = 0;

  /** Derived: the chosen rows a restore acts on (selected and shown), in view order. */
  restoreIds: string[] = [];
  /** Derived: how many of `restoreIds` are new (the rest are already there and skipped). */
  newChosen = 0;

  private loadId = -1;
  private origin: PreviewOrigin | undefined;
  private nextRequestId = 1;
  private pendingPreview = 0;
  private readonly listeners = new Set<() => void>();
  private recomputeTimer: ReturnType<typeof setTimeout> | undefined;
  private filterTimer: ReturnType<typeof setTimeout> | undefined;
  private selectTimer: ReturnType<typeof setTimeout> | undefined;
  private targetTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly ports: StorePorts,
    saved?: PreviewViewState,
    private readonly timing: StoreTiming = DEFAULT_TIMING,
  ) {
    if (saved) {
      this.selected = new Set(saved.selected);
      this.filters = saved.filters;
      this.sort = saved.sort;
      this.pendingScrollTop = saved.scrollTop;
      this.scrollTop = saved.scrollTop;
      this.focusedId = saved.focusedId;
      this.target = saved.target;
      this.origin = saved.origin;
      this.split = saved.split;
    }
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    this.restoreIds = selectedVisibleIds(this.selected, this.view, this.records);
    this.newChosen = countNew(this.restoreIds, this.rows.byId);
    this.version++;
    for (const l of this.listeners) l();
  }

  // -- derived ---------------------------------------------------------------------------------------------------

  /** Rows in arrival order. */
  get records(): readonly RowRecord[] {
    return this.rows.records;
  }

  /** Indices into `records`: what the grid shows, in order. */
  get view(): readonly number[] {
    return this.rows.view;
  }

  /** The target a restore would use now: the operator's, else the plan's. */
  get effectiveTarget(): RestoreTarget | undefined {
    return this.target ?? (this.header ? plannedTarget(this.header) : undefined);
  }

  /** A restore is being checked, confirmed or run: the choices are frozen. */
  get busy(): boolean {
    return isBusy(this.restore);
  }

  get canRestore(): boolean {
    return this.newChosen > 0 && !this.busy && !this.loading && this.targetProblem === undefined && this.effectiveTarget !== undefined;
  }

  /** The first message to the extension (with the target kept from before a reload: the plan is made for it). */
  readyMessage(): WebviewMessage {
    return { type: 'ready', protocol: PREVIEW_PROTOCOL_VERSION, ...(this.target && this.targetProblem === undefined ? { target: this.target } : {}) };
  }

  snapshot(): PreviewViewState {
    return {
      v: 1,
      origin: this.header?.origin ?? this.origin,
      selected: [...this.selected],
      filters: this.filters,
      sort: this.sort,
      scrollTop: this.pendingScrollTop ?? this.scrollTop,
      focusedId: this.focusedId,
      target: this.target,
      split: this.split,
    };
  }

  // -- messages from the extension -------------------------------------------------------------------------------

  receive(msg: ExtensionMessage): void {
    switch (msg.type) {
      case 'plan/start':
        this.startPlan(msg.header, msg.loadId);
        return;
      case 'plan/rows': {
        if (msg.loadId !== this.loadId) return;
        this.rows.add(msg.rows);
        this.scheduleRecompute();
        return;
      }
      case 'plan/end':
        if (msg.loadId !== this.loadId) return;
        if (msg.header) this.adoptHeader(msg.header);
        this.loading = false;
        this.recompute(true);
        return;
      case 'restore/confirming':
      case 'restore/declined':
      case 'restore/started':
      case 'restore/progress':
      case 'restore/result': {
        const next = nextPhase(this.restore, msg);
        if (!next) return;
        this.restore = next;
        this.changed();
        return;
      }
      case 'error':
        if (msg.scope === 'restore') this.restore = nextPhase(this.restore, msg) ?? this.restore;
        else {
          this.planError = msg.error;
          if (msg.scope === 'plan') this.loading = false;
        }
        this.changed();
        return;
      case 'response': {
        if (msg.requestId !== this.pendingPreview) return; // a newer preview was asked for meanwhile
        if (msg.ok) {
          const content = msg.result;
          this.detail = { state: 'ready', content, sanitized: content.html !== undefined ? sanitizeHtml(content.html) : undefined };
        } else {
          this.detail = { state: 'error', id: this.detail.state === 'loading' ? this.detail.id : '', error: msg.error };
        }
        this.changed();
        return;
      }
    }
  }

  private startPlan(header: PlanHeader, loadId: number): void {
    const reload = this.loadId !== -1;
    if (this.origin !== undefined && JSON.stringify(this.origin) !== JSON.stringify(header.origin)) {
      // The saved state belongs to another plan: its choices mean nothing here.
      this.selected = new Set();
      this.target = undefined;
      this.focusedId = undefined;
      this.pendingScrollTop = 0;
    } else if (reload) {
      // The same plan again (Refresh, a new target, after a restore): keep the place in it.
      this.pendingScrollTop ??= this.scrollTop;
    }
    this.origin = header.origin;
    this.loadId = loadId;
    this.rows.clear();
    this.loading = true;
    this.planError = undefined;
    this.adoptHeader(header);
    this.changed();
    this.ports.persist();
  }

  private adoptHeader(header: PlanHeader): void {
    this.header = header;
    if (this.target && !targetAllowed(header, this.target)) this.target = undefined;
    this.targetProblem = this.target?.kind === 'folder' ? targetFolderProblem(this.target.folder) : undefined;
  }

  // -- the view --------------------------------------------------------------------------------------------------

  /** While rows stream in, re-sorting 100,000 rows for every chunk would be quadratic: throttle it. */
  private scheduleRecompute(): void {
    if (!this.sort) {
      this.recompute(false); // plan order: appending the filtered new rows is cheap
      return;
    }
    if (this.view.length === 0) {
      this.recompute(true);
      return;
    }
    this.recomputeTimer ??= setTimeout(() => {
      this.recomputeTimer = undefined;
      this.recompute(true);
    }, this.timing.recomputeMs);
  }

  private recompute(full: boolean): void {
    this.rows.refresh(this.filters, this.sort, full);
    // The focused row keeps the focus wherever the view put it (or loses it when it is not shown).
    this.focusPos = this.focusedId === undefined ? -1 : this.rows.positionOf(this.focusedId, this.focusPos);
    if (this.focusedId !== undefined) this.anchor = this.focusPos;
    this.changed();
  }

  /** The record at a view position. */
  recordAt(pos: number): RowRecord | undefined {
    return this.rows.at(pos);
  }

  // -- intents: selection and focus ------------------------------------------------------------------------------

  private setSelected(next: ReadonlySet<string>, anchor = this.anchor): void {
    this.selected = next;
    this.anchor = anchor;
    this.changed();
    this.ports.persist();
    clearTimeout(this.selectTimer);
    this.selectTimer = setTimeout(() => this.ports.post({ type: 'select', ids: this.restoreIds }), this.timing.selectMs);
  }

  /** A click on the row at `pos` (toggle: ctrl/cmd, or a click on its check mark), as in a file list. */
  clickRow(pos: number, mods: ClickModifiers): void {
    const next = clickSelect({ selected: this.selected, anchor: this.anchor }, this.view, this.records, pos, mods);
    this.setSelected(next.selected, next.anchor);
    this.focusRow(pos);
    this.requestPreview();
  }

  /** Space: toggles the focused row. */
  toggleFocused(): void {
    if (this.focusPos < 0) return;
    const next = toggleAt({ selected: this.selected, anchor: this.anchor }, this.view, this.records, this.focusPos);
    this.setSelected(next.selected, next.anchor);
  }

  /** Shift+arrows: selects from the anchor to `pos`. */
  extendTo(pos: number): void {
    const anchor = this.anchor >= 0 ? this.anchor : Math.max(0, this.focusPos);
    const next = clickSelect({ selected: this.selected, anchor }, this.view, this.records, pos, { shift: true, toggle: false });
    this.setSelected(next.selected, next.anchor);
  }

  /** Ctrl+A: every shown row. */
  selectAllShown(): void {
    this.setSelected(toggleAllVisible(new Set(), this.view, this.records));
  }

  /** The header check box: every shown row, or none of them when all are selected. */
  toggleAllShown(): void {
    this.setSelected(toggleAllVisible(this.selected, this.view, this.records));
  }

  clearSelection(): void {
    this.setSelected(new Set());
  }

  /** Moves the focus to view position `pos` (clamped); returns where it went, -1 when there are no rows. */
  focusRow(pos: number): number {
    if (this.view.length === 0) return -1;
    const p = Math.min(Math.max(0, pos), this.view.length - 1);
    this.focusPos = p;
    this.focusedId = this.recordAt(p)!.row.id;
    this.changed();
    this.ports.persist();
    return p;
  }

  /** Asks the extension for the focused message (headers and body). */
  requestPreview(): void {
    const id = this.focusedId;
    if (id === undefined) return;
    const requestId = this.nextRequestId++;
    this.pendingPreview = requestId;
    this.detail = { state: 'loading', id };
    this.changed();
    this.ports.post({ type: 'request', requestId, method: 'preview', params: { id } });
  }

  // -- intents: view ---------------------------------------------------------------------------------------------

  sortBy(key: SortKey): void {
    this.sort = nextSort(this.sort, key);
    this.recompute(true);
    this.ports.persist();
  }

  setFilters(f: Partial<PreviewFilters>, debounce: boolean): void {
    this.filters = { ...this.filters, ...f };
    this.ports.persist();
    clearTimeout(this.filterTimer);
    const apply = (): void => {
      this.pendingScrollTop = 0;
      this.recompute(true);
    };
    if (debounce) {
      this.changed(); // the fields show what was typed at once; the rows follow
      this.filterTimer = setTimeout(apply, this.timing.filterMs);
    } else apply();
  }

  /** The grid scrolled (no re-render of the rest: only saved). */
  setScrollTop(top: number): void {
    this.scrollTop = top;
    this.ports.persist();
  }

  /** The grid applied `pendingScrollTop`. */
  scrolledTo(top: number): void {
    this.pendingScrollTop = undefined;
    this.scrollTop = top;
  }

  setSplit(position: string | undefined): void {
    this.split = position;
    this.ports.persist();
  }

  refresh(): void {
    if (this.busy) return;
    this.ports.post({ type: 'reload' });
  }

  // -- intents: target and restore -------------------------------------------------------------------------------

  /** A typed target folder: checked at once; the extension plans the destinations for it once typing pauses. */
  setTargetFolder(folder: string): void {
    this.target = { kind: 'folder', folder };
    this.targetProblem = targetFolderProblem(folder);
    this.changed();
    this.ports.persist();
    clearTimeout(this.targetTimer);
    this.targetTimer = undefined;
    if (this.targetProblem === undefined) {
      const target = this.target;
      this.targetTimer = setTimeout(() => {
        this.targetTimer = undefined;
        this.ports.post({ type: 'setTarget', target });
      }, this.timing.targetMs);
    }
  }

  /** The "into the original folders" check box. */
  setIntoOriginal(checked: boolean): void {
    clearTimeout(this.targetTimer);
    this.targetTimer = undefined;
    this.target = checked ? { kind: 'original' } : { kind: 'folder', folder: this.header?.defaultTarget ?? '' };
    this.targetProblem = this.target.kind === 'folder' ? targetFolderProblem(this.target.folder) : undefined;
    this.changed();
    this.ports.persist();
    if (this.targetProblem === undefined) this.ports.post({ type: 'setTarget', target: this.target });
  }

  /** The restore button: the extension checks the chosen rows against the account, then asks the operator. */
  runRestore(): void {
    const target = this.effectiveTarget;
    if (!target || !this.canRestore) return;
    if (this.targetTimer !== undefined) {
      // A typed target not sent yet: the extension learns it first (and plans for it).
      clearTimeout(this.targetTimer);
      this.targetTimer = undefined;
      this.ports.post({ type: 'setTarget', target });
    }
    this.restore = { phase: 'preparing', count: this.restoreIds.length };
    this.changed();
    this.ports.post({ type: 'runRestore', ids: [...this.restoreIds], target });
  }
}
