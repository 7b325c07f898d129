/**
 * <mailops-restore-preview>: the restore preview. A virtualised grid of the plan's messages (filters, sort,
 * multi-selection), a preview pane with the focused message's headers and sanitised body, the target folder and
 * the "Restore N messages" button, then progress and the verification result.
 *
 * Rendered in the light DOM (styles through document.adoptedStyleSheets, which the CSP allows) so the codicon
 * stylesheet applies and the elements can be reached from tests with plain selectors (see data-testid).
 */
import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-split-layout/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { VscodeCheckbox } from '@vscode-elements/elements/dist/vscode-checkbox/vscode-checkbox.js';
import type { VscodeSingleSelect } from '@vscode-elements/elements/dist/vscode-single-select/vscode-single-select.js';
import type { VscodeSplitLayout } from '@vscode-elements/elements/dist/vscode-split-layout/vscode-split-layout.js';
import type { VscodeTextfield } from '@vscode-elements/elements/dist/vscode-textfield/vscode-textfield.js';
import {
  EMPTY_FILTERS,
  PREVIEW_PROTOCOL_VERSION,
  isExtensionMessage,
  isPreviewViewState,
  targetFolderProblem,
  type ExtensionMessage,
  type PlanHeader,
  type PreviewContent,
  type PreviewError,
  type PreviewFilters,
  type PreviewSort,
  type PreviewViewState,
  type RestoreOutcome,
  type RestoreProgress,
  type RestoreTarget,
  type SortKey,
  type StatusFilter,
} from '../src/shared/previewProtocol';
import {
  clickSelect,
  filterIndices,
  formatDate,
  formatSize,
  isFiltering,
  nextSort,
  selectedVisibleIds,
  sortIndices,
  toRecord,
  toggleAllVisible,
  toggleAt,
  type RowRecord,
} from './model';
import { sanitizeHtml, type SanitizedHtml } from './sanitize';
import { OVERSCAN_ROWS, ROW_HEIGHT_PX } from './constants';
import { appStyles } from './styles';
import { styleProps } from './styleProps';
import { computeWindow, pageSize, scrollToReveal } from './virtualWindow';
import { vscodeApi, type VsCodeApi } from './vscodeApi';

const ROW_HEIGHT = ROW_HEIGHT_PX;
const OVERSCAN = OVERSCAN_ROWS;

interface Column {
  readonly key: SortKey | null;
  readonly label: string;
}
const COLUMNS: readonly Column[] = [
  { key: null, label: '' },
  { key: 'from', label: 'From' },
  { key: 'subject', label: 'Subject' },
  { key: 'date', label: 'Date' },
  { key: 'size', label: 'Size' },
  { key: 'folder', label: 'Folder' },
  { key: 'status', label: 'Status' },
];

type PreviewPane =
  | { readonly state: 'none' }
  | { readonly state: 'loading'; readonly id: string }
  | { readonly state: 'ready'; readonly content: PreviewContent; readonly sanitized?: SanitizedHtml }
  | { readonly state: 'error'; readonly id: string; readonly error: PreviewError };

type RestorePhase =
  | { readonly phase: 'idle' }
  | { readonly phase: 'requested'; readonly count: number }
  | { readonly phase: 'running'; readonly total: number; readonly target: string; readonly progress?: RestoreProgress }
  | { readonly phase: 'done'; readonly result: RestoreOutcome }
  | { readonly phase: 'error'; readonly error: PreviewError };

export class RestorePreviewApp extends LitElement {
  static override properties = {
    header: { state: true },
    loading: { state: true },
    version: { state: true },
    selected: { state: true },
    focusPos: { state: true },
    filters: { state: true },
    sort: { state: true },
    scrollTop: { state: true },
    viewportHeight: { state: true },
    preview: { state: true },
    previewMode: { state: true },
    target: { state: true },
    targetProblem: { state: true },
    restore: { state: true },
    planError: { state: true },
  };

  declare header: PlanHeader | undefined;
  declare loading: boolean;
  /** Bumped whenever `records` or `view` change (they are mutated in place for speed). */
  declare version: number;
  declare selected: ReadonlySet<string>;
  /** Position in `view` of the focused row, -1 for none. */
  declare focusPos: number;
  declare filters: PreviewFilters;
  declare sort: PreviewSort | null;
  declare scrollTop: number;
  declare viewportHeight: number;
  declare preview: PreviewPane;
  declare previewMode: 'html' | 'text';
  declare target: RestoreTarget | undefined;
  declare targetProblem: string | undefined;
  declare restore: RestorePhase;
  declare planError: PreviewError | undefined;

  private readonly api: VsCodeApi;
  private records: RowRecord[] = [];
  private ids = new Set<string>();
  /** Indices into `records`: the rows passing the filters, in display order. */
  private view: number[] = [];
  private filteredUpTo = 0;
  private loadId = -1;
  private anchor = -1;
  private focusedId: string | undefined;
  private restoreIds: string[] = [];
  private nextRequestId = 1;
  private pendingPreview = 0;
  private scrollRaf = 0;
  private recomputeTimer: ReturnType<typeof setTimeout> | undefined;
  private filterTimer: ReturnType<typeof setTimeout> | undefined;
  private stateTimer: ReturnType<typeof setTimeout> | undefined;
  private selectTimer: ReturnType<typeof setTimeout> | undefined;
  private pendingScrollTop: number | undefined;
  private savedOrigin: PreviewViewState['origin'];
  private savedSplit: string | undefined;
  private resizeObserver: ResizeObserver | undefined;
  private renderedPreview: SanitizedHtml | undefined;

  constructor() {
    super();
    this.api = vscodeApi();
    this.header = undefined;
    this.loading = true;
    this.version = 0;
    this.selected = new Set();
    this.focusPos = -1;
    this.filters = EMPTY_FILTERS;
    this.sort = null;
    this.scrollTop = 0;
    this.viewportHeight = 0;
    this.preview = { state: 'none' };
    this.previewMode = 'html';
    this.target = undefined;
    this.targetProblem = undefined;
    this.restore = { phase: 'idle' };
    this.planError = undefined;
    const saved = this.api.getState();
    if (isPreviewViewState(saved)) {
      this.selected = new Set(saved.selected);
      this.filters = saved.filters;
      this.sort = saved.sort;
      this.pendingScrollTop = saved.scrollTop;
      this.focusedId = saved.focusedId;
      this.target = saved.target;
      this.savedOrigin = saved.origin;
      this.savedSplit = saved.split;
    }
  }

  protected override createRenderRoot(): HTMLElement {
    if (!document.adoptedStyleSheets.includes(appStyles)) document.adoptedStyleSheets = [...document.adoptedStyleSheets, appStyles];
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('message', this.onMessage);
    this.api.post({ type: 'ready', protocol: PREVIEW_PROTOCOL_VERSION });
  }

  override disconnectedCallback(): void {
    window.removeEventListener('message', this.onMessage);
    this.resizeObserver?.disconnect();
    super.disconnectedCallback();
  }

  // -- messages from the extension -----------------------------------------------------------------------------

  private readonly onMessage = (event: MessageEvent<unknown>): void => {
    const msg = event.data;
    if (!isExtensionMessage(msg)) return; // not ours (or malformed): ignore
    this.handle(msg);
  };

  private handle(msg: ExtensionMessage): void {
    switch (msg.type) {
      case 'plan/start': {
        const sameOrigin = this.savedOrigin !== undefined && JSON.stringify(this.savedOrigin) === JSON.stringify(msg.header.origin);
        if (this.loadId !== -1 || (this.savedOrigin !== undefined && !sameOrigin)) {
          // A reload, or the saved state belongs to another plan: forget the selection.
          if (!sameOrigin) {
            this.selected = new Set();
            this.target = undefined;
          }
        }
        this.savedOrigin = msg.header.origin;
        this.header = msg.header;
        this.loadId = msg.loadId;
        this.records = [];
        this.ids = new Set();
        this.view = [];
        this.filteredUpTo = 0;
        this.loading = true;
        this.planError = undefined;
        if (!this.target || (this.target.kind === 'original' && !msg.header.intoOriginalAllowed) || (this.target.kind === 'folder' && !msg.header.folderTargetAllowed)) {
          this.target = msg.header.folderTargetAllowed ? { kind: 'folder', folder: msg.header.defaultTarget } : { kind: 'original' };
        }
        this.version++;
        this.saveState();
        return;
      }
      case 'plan/rows': {
        if (msg.loadId !== this.loadId) return;
        for (const row of msg.rows) {
          if (this.ids.has(row.id)) continue;
          this.ids.add(row.id);
          this.records.push(toRecord(row));
        }
        this.scheduleRecompute(false);
        return;
      }
      case 'plan/end':
        if (msg.loadId !== this.loadId) return;
        this.loading = false;
        this.recompute(true);
        return;
      case 'restore/started':
        this.restore = { phase: 'running', total: msg.total, target: msg.target };
        return;
      case 'restore/progress':
        if (this.restore.phase === 'running') this.restore = { ...this.restore, progress: msg.progress };
        return;
      case 'restore/result':
        this.restore = { phase: 'done', result: msg.result };
        return;
      case 'error':
        if (msg.scope === 'restore') this.restore = { phase: 'error', error: msg.error };
        else if (msg.scope === 'plan') {
          this.planError = msg.error;
          this.loading = false;
        } else this.planError = msg.error;
        return;
      case 'response':
        if (msg.requestId !== this.pendingPreview) return; // a newer preview was asked for meanwhile
        if (msg.ok) {
          const content = msg.result;
          this.preview = { state: 'ready', content, sanitized: content.html !== undefined ? sanitizeHtml(content.html) : undefined };
        } else {
          this.preview = { state: 'error', id: this.preview.state === 'loading' ? this.preview.id : '', error: msg.error };
        }
        return;
    }
  }

  // -- view computation ----------------------------------------------------------------------------------------

  /** While rows stream in, re-sorting 100,000 rows for every chunk would be quadratic: throttle it. */
  private scheduleRecompute(force: boolean): void {
    const first = this.view.length === 0 && this.records.length > 0;
    if (!this.sort && !force) {
      this.recompute(false); // plan order: appending the filtered new rows is cheap
      return;
    }
    if (first) {
      this.recompute(true);
      return;
    }
    this.recomputeTimer ??= setTimeout(() => {
      this.recomputeTimer = undefined;
      this.recompute(true);
    }, 250);
  }

  private recompute(full: boolean): void {
    if (full || this.sort) {
      this.view = sortIndices(this.records, filterIndices(this.records, this.filters), this.sort);
    } else {
      const added = filterIndices(this.records, this.filters, this.filteredUpTo);
      for (const i of added) this.view.push(i);
    }
    this.filteredUpTo = this.records.length;
    this.remapFocus();
    this.version++;
  }

  private remapFocus(): void {
    if (this.focusedId === undefined) {
      this.focusPos = -1;
      return;
    }
    const id = this.focusedId;
    const pos = this.focusPos >= 0 && this.view[this.focusPos] !== undefined && this.records[this.view[this.focusPos]!]!.row.id === id ? this.focusPos : this.view.findIndex((i) => this.records[i]!.row.id === id);
    this.focusPos = pos;
    if (pos !== this.anchor) this.anchor = pos;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('selected') || changed.has('version')) this.restoreIds = selectedVisibleIds(this.selected, this.view, this.records);
  }

  protected override firstUpdated(): void {
    const body = this.bodyEl();
    if (body) {
      this.resizeObserver = new ResizeObserver(() => {
        this.viewportHeight = body.clientHeight;
      });
      this.resizeObserver.observe(body);
      this.viewportHeight = body.clientHeight;
    }
  }

  protected override updated(): void {
    const body = this.bodyEl();
    if (body && this.pendingScrollTop !== undefined && this.records.length > 0) {
      const needed = this.pendingScrollTop + body.clientHeight;
      if (!this.loading || this.view.length * ROW_HEIGHT >= needed) {
        body.scrollTop = this.pendingScrollTop;
        this.scrollTop = body.scrollTop;
        this.pendingScrollTop = undefined;
      }
    }
    // The sanitised mail is a DocumentFragment built node by node; Lit renders an empty host for it.
    const host = this.querySelector<HTMLElement>('[data-testid="preview-html"]');
    const sanitized = this.preview.state === 'ready' ? this.preview.sanitized : undefined;
    if (host && sanitized && this.renderedPreview !== sanitized) {
      host.replaceChildren(sanitized.fragment.cloneNode(true));
      this.renderedPreview = sanitized;
    } else if (!host) {
      this.renderedPreview = undefined;
    }
  }

  private bodyEl(): HTMLElement | null {
    return this.querySelector<HTMLElement>('.grid-body');
  }

  // -- state ---------------------------------------------------------------------------------------------------

  private saveState(): void {
    if (this.stateTimer) return;
    this.stateTimer = setTimeout(() => {
      this.stateTimer = undefined;
      const split = this.querySelector<VscodeSplitLayout>('vscode-split-layout')?.handlePosition;
      this.api.setState({
        v: 1,
        origin: this.header?.origin ?? this.savedOrigin,
        selected: [...this.selected],
        filters: this.filters,
        sort: this.sort,
        scrollTop: this.pendingScrollTop ?? this.scrollTop,
        focusedId: this.focusedId,
        target: this.target,
        split: split ?? this.savedSplit,
      });
    }, 200);
  }

  private setSelected(next: ReadonlySet<string>): void {
    this.selected = next;
    this.saveState();
    clearTimeout(this.selectTimer);
    this.selectTimer = setTimeout(() => this.api.post({ type: 'select', ids: this.restoreIds }), 300);
  }

  // -- events --------------------------------------------------------------------------------------------------

  private readonly onScroll = (): void => {
    if (this.scrollRaf) return;
    this.scrollRaf = requestAnimationFrame(() => {
      this.scrollRaf = 0;
      const body = this.bodyEl();
      if (!body) return;
      this.scrollTop = body.scrollTop;
      this.saveState();
    });
  };

  private focusRow(pos: number, reveal: boolean): void {
    if (this.view.length === 0) return;
    const p = Math.min(Math.max(0, pos), this.view.length - 1);
    this.focusPos = p;
    this.focusedId = this.records[this.view[p]!]!.row.id;
    if (reveal) {
      const body = this.bodyEl();
      if (body) {
        const top = scrollToReveal(p, body.scrollTop, body.clientHeight, ROW_HEIGHT);
        if (top !== body.scrollTop) {
          body.scrollTop = top;
          this.scrollTop = top;
        }
      }
    }
    this.saveState();
  }

  private onRowClick(e: MouseEvent, pos: number): void {
    const toggle = e.ctrlKey || e.metaKey || (e.target as HTMLElement).closest('.cell-select') !== null;
    const next = clickSelect({ selected: this.selected, anchor: this.anchor }, this.view, this.records, pos, { shift: e.shiftKey, toggle });
    this.anchor = next.anchor;
    this.setSelected(next.selected);
    this.focusRow(pos, false);
    this.requestPreview();
    this.querySelector<HTMLElement>('.grid')?.focus({ preventScroll: true });
    if (e.shiftKey) e.preventDefault();
  }

  private readonly onGridKeyDown = (e: KeyboardEvent): void => {
    if (this.view.length === 0) return;
    const cur = this.focusPos < 0 ? -1 : this.focusPos;
    const body = this.bodyEl();
    const page = pageSize(body?.clientHeight ?? 0, ROW_HEIGHT);
    let to: number | undefined;
    switch (e.key) {
      case 'ArrowDown':
        to = cur + 1;
        break;
      case 'ArrowUp':
        to = cur < 0 ? 0 : cur - 1;
        break;
      case 'PageDown':
        to = cur + page;
        break;
      case 'PageUp':
        to = cur - page;
        break;
      case 'Home':
        to = 0;
        break;
      case 'End':
        to = this.view.length - 1;
        break;
      case ' ':
        if (cur >= 0) {
          const next = toggleAt({ selected: this.selected, anchor: this.anchor }, this.view, this.records, cur);
          this.anchor = next.anchor;
          this.setSelected(next.selected);
        }
        e.preventDefault();
        return;
      case 'Enter':
        if (cur >= 0) this.requestPreview();
        e.preventDefault();
        return;
      case 'a':
      case 'A':
        if (e.ctrlKey || e.metaKey) {
          this.setSelected(toggleAllVisible(new Set(), this.view, this.records));
          e.preventDefault();
        }
        return;
      case 'Escape':
        this.setSelected(new Set());
        return;
      default:
        return;
    }
    e.preventDefault();
    const pos = Math.min(Math.max(0, to), this.view.length - 1);
    if (e.shiftKey) {
      const anchor = this.anchor >= 0 ? this.anchor : Math.max(0, cur);
      const next = clickSelect({ selected: this.selected, anchor }, this.view, this.records, pos, { shift: true, toggle: false });
      this.anchor = next.anchor;
      this.setSelected(next.selected);
    }
    this.focusRow(pos, true);
  };

  private requestPreview(): void {
    const id = this.focusedId;
    if (id === undefined) return;
    const requestId = this.nextRequestId++;
    this.pendingPreview = requestId;
    this.preview = { state: 'loading', id };
    this.api.post({ type: 'request', requestId, method: 'preview', params: { id } });
  }

  private onSort(key: SortKey): void {
    this.sort = nextSort(this.sort, key);
    this.recompute(true);
    this.saveState();
  }

  private setFilters(f: Partial<PreviewFilters>, debounce: boolean): void {
    this.filters = { ...this.filters, ...f };
    this.saveState();
    clearTimeout(this.filterTimer);
    const apply = (): void => {
      this.recompute(true);
      const body = this.bodyEl();
      if (body) body.scrollTop = 0;
      this.scrollTop = 0;
    };
    if (debounce) this.filterTimer = setTimeout(apply, 120);
    else apply();
  }

  private onToggleAll(): void {
    this.setSelected(toggleAllVisible(this.selected, this.view, this.records));
  }

  private onTargetInput(e: Event): void {
    const folder = (e.target as VscodeTextfield).value;
    this.target = { kind: 'folder', folder };
    this.targetProblem = targetFolderProblem(folder);
    this.saveState();
    if (!this.targetProblem) this.api.post({ type: 'setTarget', target: this.target });
  }

  private onIntoOriginal(e: Event): void {
    const checked = (e.target as VscodeCheckbox).checked;
    this.target = checked ? { kind: 'original' } : { kind: 'folder', folder: this.header?.defaultTarget ?? '' };
    this.targetProblem = this.target.kind === 'folder' ? targetFolderProblem(this.target.folder) : undefined;
    this.saveState();
    if (!this.targetProblem) this.api.post({ type: 'setTarget', target: this.target });
  }

  private onRestore(): void {
    const target = this.target;
    if (!target || this.restoreIds.length === 0 || this.restore.phase === 'running' || this.restore.phase === 'requested') return;
    if (target.kind === 'folder') {
      this.targetProblem = targetFolderProblem(target.folder);
      if (this.targetProblem) return;
    }
    this.restore = { phase: 'requested', count: this.restoreIds.length };
    this.api.post({ type: 'runRestore', ids: [...this.restoreIds], target });
  }

  // -- rendering -----------------------------------------------------------------------------------------------

  protected override render(): TemplateResult {
    return html`
      <div class="app" data-testid="restore-preview">
        ${this.renderHeader()} ${this.renderFilters()}
        ${this.planError ? html`<div class="banner error" role="alert" data-testid="error-banner"><span class="codicon codicon-error"></span> ${this.planError.message}${this.planError.hint ? html` — ${this.planError.hint}` : nothing}</div>` : nothing}
        <vscode-split-layout class="split" split="vertical" initial-handle-position=${this.savedSplit ?? '62%'} min-start="240px" min-end="200px" @vsc-split-layout-change=${() => this.saveState()}>
          <div slot="start" class="pane">${this.renderGrid()}</div>
          <div slot="end" class="pane">${this.renderPreview()}</div>
        </vscode-split-layout>
        ${this.renderFooter()}
      </div>
    `;
  }

  private renderHeader(): TemplateResult {
    const h = this.header;
    const count = this.records.length;
    return html`<div class="plan-header" data-testid="plan-header">
      ${h
        ? html`<span class="codicon codicon-server"></span><b>${h.origin.host}</b><span class="sep">·</span><span class="codicon codicon-account"></span>${h.origin.account}<span class="sep">·</span><span class="codicon codicon-archive"></span>${h.origin.engine === 'cyrus' ? 'expunged messages' : `backup ${h.origin.source}`}`
        : html`<span>Waiting for the restore plan…</span>`}
      <span class="spacer"></span>
      <span class="counts" data-testid="plan-counts" aria-live="polite">${this.loading ? html`<span class="codicon codicon-loading codicon-modifier-spin"></span> Loading… ${count.toLocaleString()} messages` : html`${count.toLocaleString()} messages, ${this.view.length.toLocaleString()} shown`}</span>
    </div>`;
  }

  private renderFilters(): TemplateResult {
    const f = this.filters;
    return html`<div class="filters" role="search">
      <vscode-textfield class="search" data-testid="search" type="search" placeholder="Search from, to, subject, folder, Message-ID" aria-label="Search messages" .value=${f.text} @input=${(e: Event) => this.setFilters({ text: (e.target as VscodeTextfield).value }, true)}>
        <span slot="content-before" class="codicon codicon-search"></span>
      </vscode-textfield>
      <label class="lbl" for="date-from">From</label>
      <vscode-textfield id="date-from" data-testid="date-from" type="date" aria-label="Date from" .value=${f.dateFrom} @change=${(e: Event) => this.setFilters({ dateFrom: (e.target as VscodeTextfield).value }, false)} @input=${(e: Event) => this.setFilters({ dateFrom: (e.target as VscodeTextfield).value }, true)}></vscode-textfield>
      <label class="lbl" for="date-to">to</label>
      <vscode-textfield id="date-to" data-testid="date-to" type="date" aria-label="Date to" .value=${f.dateTo} @change=${(e: Event) => this.setFilters({ dateTo: (e.target as VscodeTextfield).value }, false)} @input=${(e: Event) => this.setFilters({ dateTo: (e.target as VscodeTextfield).value }, true)}></vscode-textfield>
      <vscode-single-select data-testid="status-filter" aria-label="Status" .value=${f.status} @change=${(e: Event) => this.setFilters({ status: (e.target as VscodeSingleSelect).value as StatusFilter }, false)}>
        <vscode-option value="all">All messages</vscode-option>
        <vscode-option value="new">New only</vscode-option>
        <vscode-option value="present">Already present</vscode-option>
      </vscode-single-select>
      ${isFiltering(f) ? html`<vscode-button secondary data-testid="clear-filters" @click=${() => this.setFilters(EMPTY_FILTERS, false)}>Clear filters</vscode-button>` : nothing}
    </div>`;
  }

  private renderGrid(): TemplateResult {
    const win = computeWindow({ scrollTop: this.scrollTop, viewportHeight: this.viewportHeight, rowHeight: ROW_HEIGHT, rowCount: this.view.length, overscan: OVERSCAN });
    const visibleSelected = this.restoreIds.length;
    const all = this.view.length > 0 && visibleSelected === this.view.length;
    const rows: TemplateResult[] = [];
    for (let pos = win.start; pos < win.end; pos++) rows.push(this.renderRow(pos));
    const focused = this.focusPos >= win.start && this.focusPos < win.end ? `row-${this.focusPos}` : nothing;
    return html`<div class="grid" role="grid" data-testid="grid" aria-label="Messages to restore" aria-multiselectable="true" aria-rowcount=${this.view.length + 1} aria-colcount=${COLUMNS.length} tabindex="0" aria-activedescendant=${focused} @keydown=${this.onGridKeyDown}>
      <div class="grid-head" role="rowgroup">
        <div class="row head" role="row" aria-rowindex="1">
          <div class="cell cell-select" role="columnheader">
            <vscode-checkbox data-testid="select-all" aria-label="Select all shown" title="Select all shown (Ctrl+A)" .checked=${all} .indeterminate=${visibleSelected > 0 && !all} @change=${() => this.onToggleAll()}></vscode-checkbox>
          </div>
          ${COLUMNS.slice(1).map((c) => {
            const dir = this.sort && this.sort.key === c.key ? this.sort.dir : undefined;
            return html`<div class="cell sortable" role="columnheader" data-testid=${`sort-${c.key ?? ''}`} aria-sort=${dir === 'asc' ? 'ascending' : dir === 'desc' ? 'descending' : 'none'} tabindex="-1" @click=${() => c.key && this.onSort(c.key)}>
              ${c.label}${dir ? html`<span class="codicon codicon-arrow-${dir === 'asc' ? 'up' : 'down'}"></span>` : nothing}
            </div>`;
          })}
        </div>
      </div>
      <div class="grid-body" role="rowgroup" @scroll=${this.onScroll}>
        <div class="grid-spacer" ${styleProps({ height: `${win.totalHeight}px` })}>${rows}</div>
        ${!this.loading && this.view.length === 0 && !this.planError
          ? html`<div class="empty" data-testid="empty">${this.records.length === 0 ? 'Nothing to restore: every message of this source is already in the account.' : 'No message matches the filters.'}</div>`
          : nothing}
      </div>
    </div>`;
  }

  private renderRow(pos: number): TemplateResult {
    const r = this.records[this.view[pos]!]!.row;
    const rec = this.records[this.view[pos]!]!;
    const selected = this.selected.has(r.id);
    const focused = pos === this.focusPos;
    return html`<div
      class="row ${selected ? 'selected' : ''} ${focused ? 'focused' : ''}"
      role="row"
      id=${`row-${pos}`}
      data-testid="preview-row"
      data-row-id=${r.id}
      data-pos=${pos}
      aria-rowindex=${pos + 2}
      aria-selected=${selected ? 'true' : 'false'}
      ${styleProps({ transform: `translateY(${pos * ROW_HEIGHT}px)` })}
      @click=${(e: MouseEvent) => this.onRowClick(e, pos)}
    >
      <div class="cell cell-select" role="gridcell"><span class="check codicon ${selected ? 'codicon-pass-filled' : 'codicon-circle-large'}" aria-hidden="true"></span></div>
      <div class="cell" role="gridcell" title=${r.from}>${r.from}</div>
      <div class="cell" role="gridcell" title=${r.subject}>${r.subject}</div>
      <div class="cell num" role="gridcell">${formatDate(rec.time)}</div>
      <div class="cell num" role="gridcell">${formatSize(r.size)}</div>
      <div class="cell" role="gridcell" title=${r.folder}>${r.folder}</div>
      <div class="cell" role="gridcell"><vscode-badge class="status-${r.status}" variant="default">${r.status === 'new' ? 'new' : 'present'}</vscode-badge></div>
    </div>`;
  }

  private renderPreview(): TemplateResult {
    const p = this.preview;
    if (p.state === 'none') return html`<div class="preview empty-preview" data-testid="preview">Select a message and press Enter (or click it) to preview it.</div>`;
    if (p.state === 'loading') return html`<div class="preview" data-testid="preview" aria-busy="true"><span class="codicon codicon-loading codicon-modifier-spin"></span> Loading message…</div>`;
    if (p.state === 'error') return html`<div class="preview" data-testid="preview"><div class="banner error" role="alert">${p.error.message}${p.error.hint ? html` — ${p.error.hint}` : nothing}</div></div>`;
    const c = p.content;
    const showHtml = p.sanitized !== undefined && this.previewMode === 'html';
    const blocked = p.sanitized?.remoteImagesBlocked ?? 0;
    return html`<div class="preview" data-testid="preview" aria-label="Message preview">
      <table class="headers" data-testid="preview-headers">
        ${c.headers.map(([k, v]) => html`<tr><th scope="row">${k}</th><td>${v}</td></tr>`)}
      </table>
      ${p.sanitized !== undefined
        ? html`<div class="preview-tools">
            <vscode-button secondary data-testid="preview-mode" @click=${() => (this.previewMode = this.previewMode === 'html' ? 'text' : 'html')}>${this.previewMode === 'html' ? 'Show plain text' : 'Show HTML'}</vscode-button>
            ${blocked > 0 ? html`<span class="note" data-testid="remote-blocked"><span class="codicon codicon-shield"></span> ${blocked} remote ${blocked === 1 ? 'image' : 'images'} blocked</span>` : nothing}
          </div>`
        : nothing}
      ${showHtml ? html`<div class="mail-html" data-testid="preview-html"></div>` : html`<pre class="mail-text" data-testid="preview-text">${c.text}</pre>`}
      ${c.truncated ? html`<div class="note">The message was shortened for the preview.</div>` : nothing}
    </div>`;
  }

  private renderFooter(): TemplateResult {
    const h = this.header;
    const n = this.restoreIds.length;
    const hidden = this.selected.size - n;
    const r = this.restore;
    const busy = r.phase === 'running' || r.phase === 'requested';
    const target = this.target;
    return html`<div class="footer">
      <div class="target">
        ${h?.folderTargetAllowed !== false
          ? html`<label class="lbl" for="target-folder">Restore into</label>
              <vscode-textfield id="target-folder" data-testid="target-folder" aria-label="Target folder" ?disabled=${target?.kind === 'original' || busy} ?invalid=${this.targetProblem !== undefined} .value=${target?.kind === 'folder' ? target.folder : (h?.defaultTarget ?? '')} @input=${(e: Event) => this.onTargetInput(e)}></vscode-textfield>`
          : html`<span class="note">Messages are unexpunged into the mailbox they were expunged from.</span>`}
        ${h?.intoOriginalAllowed && h.folderTargetAllowed
          ? html`<vscode-checkbox data-testid="into-original" ?disabled=${busy} .checked=${target?.kind === 'original'} @change=${(e: Event) => this.onIntoOriginal(e)}>Into the original folders</vscode-checkbox>`
          : nothing}
        <span class="spacer"></span>
        ${hidden > 0 ? html`<span class="note" data-testid="hidden-selected">${hidden} selected ${hidden === 1 ? 'message is' : 'messages are'} hidden by the filters and not included</span>` : nothing}
        <vscode-button data-testid="restore-button" icon="history" ?disabled=${n === 0 || busy || this.loading || this.targetProblem !== undefined} @click=${() => this.onRestore()}>Restore ${n.toLocaleString()} ${n === 1 ? 'message' : 'messages'}</vscode-button>
      </div>
      ${this.targetProblem ? html`<div class="field-error" role="alert" data-testid="target-problem">${this.targetProblem}</div>` : nothing}
      ${this.renderRestoreState(r)}
    </div>`;
  }

  private renderRestoreState(r: RestorePhase): TemplateResult | typeof nothing {
    switch (r.phase) {
      case 'idle':
        return nothing;
      case 'requested':
        return html`<div class="status" data-testid="restore-progress" aria-live="polite"><vscode-progress-bar indeterminate aria-label="Restoring"></vscode-progress-bar> Starting the restore of ${r.count.toLocaleString()} messages…</div>`;
      case 'running': {
        const p = r.progress;
        return html`<div class="status" data-testid="restore-progress" aria-live="polite">
          ${p ? html`<vscode-progress-bar .value=${p.done} .max=${Math.max(1, p.total)} aria-label="Restoring"></vscode-progress-bar>` : html`<vscode-progress-bar indeterminate aria-label="Restoring"></vscode-progress-bar>`}
          Restoring into ${r.target}: ${p ? `${p.done.toLocaleString()} of ${p.total.toLocaleString()}` : `${r.total.toLocaleString()} messages`}${p?.message ? html` — ${p.message}` : nothing}
        </div>`;
      }
      case 'done': {
        const v = r.result.verify;
        const ok = v.missing === 0 && r.result.failed === 0;
        return html`<div class="status result ${ok ? 'ok' : 'bad'}" role="status" data-testid="restore-result" data-verify-missing=${v.missing}>
          <span class="codicon ${ok ? 'codicon-pass' : 'codicon-error'}"></span>
          Restored ${r.result.restored.toLocaleString()} into ${r.result.target}; skipped ${r.result.skipped.toLocaleString()} already present${r.result.failed ? html`; <b>${r.result.failed} failed</b>` : nothing}.
          Verify: ${v.checked.toLocaleString()} checked, missing=${v.missing}${v.missingIds?.length ? html` (${v.missingIds.join(', ')})` : nothing}.
        </div>`;
      }
      case 'error':
        return html`<div class="status result bad" role="alert" data-testid="restore-error"><span class="codicon codicon-error"></span> ${r.error.message}${r.error.hint ? html` — ${r.error.hint}` : nothing}</div>`;
    }
  }
}

if (!customElements.get('mailops-restore-preview')) customElements.define('mailops-restore-preview', RestorePreviewApp);

declare global {
  interface HTMLElementTagNameMap {
    'mailops-restore-preview': RestorePreviewApp;
  }
}
