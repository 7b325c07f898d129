/**
 * <mailops-preview-grid>: the virtualised table of the plan's messages. Only the rows in the scroll window are in
 * the DOM (virtualWindow.ts); the columns follow the grid's width (columns.ts: Status and Destination always
 * stay); selection and focus follow mouse and keyboard as in a file list, through the store.
 *
 * Scrolling re-renders this element only (its own `scrollTop`), not the rest of the preview.
 */
import { LitElement, html, nothing, type TemplateResult } from 'lit';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import * as l10n from '@vscode/l10n';
import type { SortKey } from '../src/shared/previewProtocol';
import { columnLayout, type ColumnKey, type ColumnLayout } from './columns';
import { OVERSCAN_ROWS, ROW_HEIGHT_PX } from './constants';
import { formatDate, formatSize } from './model';
import type { PreviewStore } from './store';
import { StoreController } from './storeController';
import { styleProps } from './styleProps';
import { statusText, statusTitle } from './text';
import { computeWindow, pageSize, scrollToReveal } from './virtualWindow';

function columnLabel(key: ColumnKey): string {
  switch (key) {
    case 'from':
      return l10n.t('From');
    case 'subject':
      return l10n.t('Subject');
    case 'date':
      return l10n.t('Date');
    case 'size':
      return l10n.t('Size');
    case 'folder':
      return l10n.t('Source folder');
    case 'destination':
      return l10n.t('Destination');
    case 'status':
      return l10n.t('Status');
  }
}

export class PreviewGrid extends LitElement {
  static override properties = {
    store: { attribute: false },
    scrollTop: { state: true },
    viewportHeight: { state: true },
    layout: { state: true },
  };

  declare store: PreviewStore | undefined;
  declare scrollTop: number;
  declare viewportHeight: number;
  declare layout: ColumnLayout;

  private scrollRaf = 0;
  private resizeObserver: ResizeObserver | undefined;

  constructor() {
    super();
    new StoreController(this, () => this.store);
    this.scrollTop = 0;
    this.viewportHeight = 0;
    this.layout = columnLayout(0);
  }

  protected override createRenderRoot(): HTMLElement {
    return this; // light DOM: the page's stylesheet and the codicons apply, tests reach rows by data-testid
  }

  override disconnectedCallback(): void {
    this.resizeObserver?.disconnect();
    this.resizeObserver = undefined;
    super.disconnectedCallback();
  }

  private bodyEl(): HTMLElement | null {
    return this.querySelector<HTMLElement>('.grid-body');
  }

  protected override firstUpdated(): void {
    const body = this.bodyEl();
    const grid = this.querySelector<HTMLElement>('.grid');
    if (!body || !grid) return;
    const measure = (): void => {
      this.viewportHeight = body.clientHeight;
      const width = grid.clientWidth;
      const next = columnLayout(width);
      if (next.template !== this.layout.template) this.layout = next;
    };
    this.resizeObserver = new ResizeObserver(measure);
    this.resizeObserver.observe(body);
    this.resizeObserver.observe(grid);
    measure();
  }

  protected override updated(): void {
    const store = this.store;
    const body = this.bodyEl();
    if (!store || !body || store.pendingScrollTop === undefined) return;
    // A saved or kept position is applied once the rows reach it (or the plan is complete).
    const wanted = store.pendingScrollTop;
    if (wanted === 0 || !store.loading || store.view.length * ROW_HEIGHT_PX >= wanted + body.clientHeight) {
      body.scrollTop = wanted;
      this.scrollTop = body.scrollTop;
      store.scrolledTo(body.scrollTop);
    }
  }

  private readonly onScroll = (): void => {
    if (this.scrollRaf) return;
    this.scrollRaf = requestAnimationFrame(() => {
      this.scrollRaf = 0;
      const body = this.bodyEl();
      if (!body) return;
      this.scrollTop = body.scrollTop;
      this.store?.setScrollTop(body.scrollTop);
    });
  };

  /** Brings the row at `pos` into view, scrolling as little as possible. */
  private reveal(pos: number): void {
    const body = this.bodyEl();
    if (!body || pos < 0) return;
    const top = scrollToReveal(pos, body.scrollTop, body.clientHeight, ROW_HEIGHT_PX);
    if (top !== body.scrollTop) {
      body.scrollTop = top;
      this.scrollTop = top;
    }
  }

  private onRowClick(e: MouseEvent, pos: number): void {
    const toggle = e.ctrlKey || e.metaKey || (e.target as HTMLElement).closest('.cell-select') !== null;
    this.store?.clickRow(pos, { shift: e.shiftKey, toggle });
    this.querySelector<HTMLElement>('.grid')?.focus({ preventScroll: true });
    if (e.shiftKey) e.preventDefault();
  }

  private readonly onKeyDown = (e: KeyboardEvent): void => {
    const store = this.store;
    if (!store || store.view.length === 0) return;
    const cur = store.focusPos;
    const page = pageSize(this.bodyEl()?.clientHeight ?? 0, ROW_HEIGHT_PX);
    let to: number;
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
        to = store.view.length - 1;
        break;
      case ' ':
        store.toggleFocused();
        e.preventDefault();
        return;
      case 'Enter':
        if (cur >= 0) store.requestPreview();
        e.preventDefault();
        return;
      case 'a':
      case 'A':
        if (e.ctrlKey || e.metaKey) {
          store.selectAllShown();
          e.preventDefault();
        }
        return;
      case 'Escape':
        store.clearSelection();
        return;
      default:
        return;
    }
    e.preventDefault();
    const pos = Math.min(Math.max(0, to), store.view.length - 1);
    if (e.shiftKey) store.extendTo(pos);
    this.reveal(store.focusRow(pos));
  };

  protected override render(): TemplateResult {
    const store = this.store;
    if (!store) return html``;
    const { columns, template } = this.layout;
    const win = computeWindow({ scrollTop: this.scrollTop, viewportHeight: this.viewportHeight, rowHeight: ROW_HEIGHT_PX, rowCount: store.view.length, overscan: OVERSCAN_ROWS });
    const chosen = store.restoreIds.length;
    const all = store.view.length > 0 && chosen === store.view.length;
    const rows: TemplateResult[] = [];
    for (let pos = win.start; pos < win.end; pos++) rows.push(this.renderRow(store, pos, columns));
    const focused = store.focusPos >= win.start && store.focusPos < win.end ? `row-${store.focusPos}` : nothing;
    const sort = store.sort;
    return html`<div
      class="grid"
      role="grid"
      data-testid="grid"
      data-columns=${columns.join(' ')}
      aria-label=${l10n.t('Messages to restore')}
      aria-multiselectable="true"
      aria-rowcount=${store.view.length + 1}
      aria-colcount=${columns.length + 1}
      tabindex="0"
      aria-activedescendant=${focused}
      ${styleProps({ '--mailops-grid-columns': template })}
      @keydown=${this.onKeyDown}
    >
      <div class="grid-head" role="rowgroup">
        <div class="row head" role="row" aria-rowindex="1">
          <div class="cell cell-select" role="columnheader">
            <vscode-checkbox
              data-testid="select-all"
              aria-label=${l10n.t('Select all shown')}
              title=${l10n.t('Select all shown (Ctrl+A)')}
              .checked=${all}
              .indeterminate=${chosen > 0 && !all}
              @change=${() => store.toggleAllShown()}
            ></vscode-checkbox>
          </div>
          ${columns.map((key) => {
            const dir = sort && sort.key === key ? sort.dir : undefined;
            return html`<div
              class="cell sortable"
              role="columnheader"
              data-testid=${`sort-${key}`}
              aria-sort=${dir === 'asc' ? 'ascending' : dir === 'desc' ? 'descending' : 'none'}
              tabindex="-1"
              title=${columnLabel(key)}
              @click=${() => store.sortBy(key as SortKey)}
            >
              ${columnLabel(key)}${dir ? html`<span class="codicon codicon-arrow-${dir === 'asc' ? 'up' : 'down'}"></span>` : nothing}
            </div>`;
          })}
        </div>
      </div>
      <div class="grid-body" role="rowgroup" @scroll=${this.onScroll}>
        <div class="grid-spacer" ${styleProps({ height: `${win.totalHeight}px` })}>${rows}</div>
        ${!store.loading && store.view.length === 0 && !store.planError
          ? html`<div class="empty" data-testid="empty">
              ${store.records.length === 0 ? l10n.t('Nothing to restore: every message of this source is already in the account.') : l10n.t('No message matches the filters.')}
            </div>`
          : nothing}
      </div>
    </div>`;
  }

  private renderRow(store: PreviewStore, pos: number, columns: readonly ColumnKey[]): TemplateResult {
    const rec = store.recordAt(pos)!;
    const r = rec.row;
    const selected = store.selected.has(r.id);
    const focused = pos === store.focusPos;
    return html`<div
      class="row ${selected ? 'selected' : ''} ${focused ? 'focused' : ''}"
      role="row"
      id=${`row-${pos}`}
      data-testid="preview-row"
      data-row-id=${r.id}
      data-pos=${pos}
      data-status=${r.status}
      aria-rowindex=${pos + 2}
      aria-selected=${selected ? 'true' : 'false'}
      ${styleProps({ transform: `translateY(${pos * ROW_HEIGHT_PX}px)` })}
      @click=${(e: MouseEvent) => this.onRowClick(e, pos)}
    >
      <div class="cell cell-select" role="gridcell"><span class="check codicon ${selected ? 'codicon-pass-filled' : 'codicon-circle-large'}" aria-hidden="true"></span></div>
      ${columns.map((key) => {
        // (Each cell starts with a space: the row's text reads as separate words, e.g. for copy and find.)
        switch (key) {
          case 'from':
            return html` <div class="cell" role="gridcell" title=${r.from}>${r.from}</div>`;
          case 'subject':
            return html` <div class="cell" role="gridcell" title=${r.subject}>${r.subject}</div>`;
          case 'date':
            return html` <div class="cell num" role="gridcell">${formatDate(rec.time)}</div>`;
          case 'size':
            return html` <div class="cell num" role="gridcell">${formatSize(r.size)}</div>`;
          case 'folder':
            return html` <div class="cell path" role="gridcell" title=${r.folder}><span>${r.folder}</span></div>`;
          case 'destination':
            return html` <div class="cell path" role="gridcell" data-testid="cell-destination" title=${r.destination}><span>${r.destination}</span></div>`;
          case 'status':
            return html` <div class="cell" role="gridcell" data-testid="cell-status" title=${statusTitle(r.status, r.destination)}>
              <vscode-badge class="status-${r.status}" variant="default">${statusText(r.status)}</vscode-badge>
            </div>`;
        }
      })}
    </div>`;
  }
}

if (!customElements.get('mailops-preview-grid')) customElements.define('mailops-preview-grid', PreviewGrid);

declare global {
  interface HTMLElementTagNameMap {
    'mailops-preview-grid': PreviewGrid;
  }
}
