/**
 * <mailops-preview-toolbar>: what the preview reads (host, account, set), the counts, Refresh, and the filters
 * (search, date range, status).
 */
import { html, nothing, type TemplateResult } from 'lit';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { VscodeSingleSelect } from '@vscode-elements/elements/dist/vscode-single-select/vscode-single-select.js';
import type { VscodeTextfield } from '@vscode-elements/elements/dist/vscode-textfield/vscode-textfield.js';
import * as l10n from '@vscode/l10n';
import { EMPTY_FILTERS, type StatusFilter } from '../src/shared/previewProtocol';
import { isFiltering } from './model';
import type { PreviewStore } from './store';
import { StoreElement } from './storeController';
import { planCounts, sourceText } from './text';

export class PreviewToolbar extends StoreElement {
  protected override render(): TemplateResult {
    const store = this.store;
    if (!store) return html``;
    return html`${this.renderHeader(store)}${this.renderFilters(store)}`;
  }

  private renderHeader(store: PreviewStore): TemplateResult {
    const h = store.header;
    return html`<div class="plan-header" data-testid="plan-header">
      ${h
        ? html`<span class="codicon codicon-server"></span><b>${h.origin.host}</b><span class="sep">·</span><span class="codicon codicon-account"></span>${h.origin.account}<span class="sep">·</span
            ><span class="codicon codicon-archive"></span><span data-testid="plan-source">${sourceText(h.origin)}</span>`
        : html`<span>${l10n.t('Waiting for the restore plan…')}</span>`}
      <span class="spacer"></span>
      <span class="counts" data-testid="plan-counts" aria-live="polite"
        >${store.loading ? html`<span class="codicon codicon-loading codicon-modifier-spin"></span> ` : nothing}${planCounts(store.records.length, store.view.length, store.loading)}</span
      >
      <vscode-button
        secondary
        icon="refresh"
        data-testid="refresh"
        title=${l10n.t('Make the plan again: what the source holds and what the account has now')}
        ?disabled=${store.busy}
        @click=${() => store.refresh()}
        >${l10n.t('Refresh')}</vscode-button
      >
    </div>`;
  }

  private renderFilters(store: PreviewStore): TemplateResult {
    const f = store.filters;
    const text = (e: Event): string => (e.target as VscodeTextfield).value;
    return html`<div class="filters" role="search">
      <vscode-textfield
        class="search"
        data-testid="search"
        type="search"
        placeholder=${l10n.t('Search from, to, subject, folders, Message-ID')}
        aria-label=${l10n.t('Search messages')}
        .value=${f.text}
        @input=${(e: Event) => store.setFilters({ text: text(e) }, true)}
      >
        <span slot="content-before" class="codicon codicon-search"></span>
      </vscode-textfield>
      <label class="lbl" for="date-from">${l10n.t('From')}</label>
      <vscode-textfield
        id="date-from"
        data-testid="date-from"
        type="date"
        aria-label=${l10n.t('Date from')}
        .value=${f.dateFrom}
        @change=${(e: Event) => store.setFilters({ dateFrom: text(e) }, false)}
        @input=${(e: Event) => store.setFilters({ dateFrom: text(e) }, true)}
      ></vscode-textfield>
      <label class="lbl" for="date-to">${l10n.t('to')}</label>
      <vscode-textfield
        id="date-to"
        data-testid="date-to"
        type="date"
        aria-label=${l10n.t('Date to')}
        .value=${f.dateTo}
        @change=${(e: Event) => store.setFilters({ dateTo: text(e) }, false)}
        @input=${(e: Event) => store.setFilters({ dateTo: text(e) }, true)}
      ></vscode-textfield>
      <vscode-single-select
        data-testid="status-filter"
        aria-label=${l10n.t('Status')}
        .value=${f.status}
        @change=${(e: Event) => store.setFilters({ status: (e.target as VscodeSingleSelect).value as StatusFilter }, false)}
      >
        <vscode-option value="all">${l10n.t('All messages')}</vscode-option>
        <vscode-option value="new">${l10n.t('New only')}</vscode-option>
        <vscode-option value="present">${l10n.t('Already there')}</vscode-option>
      </vscode-single-select>
      ${isFiltering(f) ? html`<vscode-button secondary data-testid="clear-filters" @click=${() => store.setFilters(EMPTY_FILTERS, false)}>${l10n.t('Clear filters')}</vscode-button>` : nothing}
    </div>`;
  }
}

if (!customElements.get('mailops-preview-toolbar')) customElements.define('mailops-preview-toolbar', PreviewToolbar);

declare global {
  interface HTMLElementTagNameMap {
    'mailops-preview-toolbar': PreviewToolbar;
  }
}
