/**
 * <mailops-preview-detail>: the focused message: its headers, and its body as sanitised HTML (sanitize.ts; a
 * DocumentFragment built node by node, so it is inserted after render) or as plain text.
 */
import { LitElement, html, nothing, type TemplateResult } from 'lit';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import * as l10n from '@vscode/l10n';
import type { SanitizedHtml } from './sanitize';
import type { PreviewStore } from './store';
import { StoreController } from './storeController';
import { num } from './text';

export class PreviewDetail extends LitElement {
  static override properties = {
    store: { attribute: false },
    mode: { state: true },
  };

  declare store: PreviewStore | undefined;
  declare mode: 'html' | 'text';
  private rendered: SanitizedHtml | undefined;

  constructor() {
    super();
    new StoreController(this, () => this.store);
    this.mode = 'html';
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  protected override updated(): void {
    // Lit renders an empty host for the mail; the sanitised fragment goes in here, once per message.
    const host = this.querySelector<HTMLElement>('[data-testid="preview-html"]');
    const d = this.store?.detail;
    const sanitized = d?.state === 'ready' ? d.sanitized : undefined;
    if (host && sanitized && this.rendered !== sanitized) {
      host.replaceChildren(sanitized.fragment.cloneNode(true));
      this.rendered = sanitized;
    } else if (!host) {
      this.rendered = undefined;
    }
  }

  protected override render(): TemplateResult {
    const p = this.store?.detail ?? { state: 'none' as const };
    if (p.state === 'none') return html`<div class="preview empty-preview" data-testid="preview">${l10n.t('Select a message and press Enter (or click it) to preview it.')}</div>`;
    if (p.state === 'loading') return html`<div class="preview" data-testid="preview" aria-busy="true"><span class="codicon codicon-loading codicon-modifier-spin"></span> ${l10n.t('Loading message…')}</div>`;
    if (p.state === 'error') {
      return html`<div class="preview" data-testid="preview"><div class="banner error" role="alert">${p.error.message}${p.error.hint ? html` — ${p.error.hint}` : nothing}</div></div>`;
    }
    const c = p.content;
    const showHtml = p.sanitized !== undefined && this.mode === 'html';
    const blocked = p.sanitized?.remoteImagesBlocked ?? 0;
    return html`<div class="preview" data-testid="preview" aria-label=${l10n.t('Message preview')}>
      <table class="headers" data-testid="preview-headers">
        ${c.headers.map(([k, v]) => html`<tr><th scope="row">${k}</th><td>${v}</td></tr>`)}
      </table>
      ${p.sanitized !== undefined
        ? html`<div class="preview-tools">
            <vscode-button secondary data-testid="preview-mode" @click=${() => (this.mode = this.mode === 'html' ? 'text' : 'html')}>
              ${this.mode === 'html' ? l10n.t('Show plain text') : l10n.t('Show HTML')}
            </vscode-button>
            ${blocked > 0
              ? html`<span class="note" data-testid="remote-blocked"
                  ><span class="codicon codicon-shield"></span> ${blocked === 1 ? l10n.t('1 remote image blocked') : l10n.t('{0} remote images blocked', num(blocked))}</span
                >`
              : nothing}
          </div>`
        : nothing}
      ${showHtml ? html`<div class="mail-html" data-testid="preview-html"></div>` : html`<pre class="mail-text" data-testid="preview-text">${c.text}</pre>`}
      ${c.truncated ? html`<div class="note">${l10n.t('The message was shortened for the preview.')}</div>` : nothing}
    </div>`;
  }
}

if (!customElements.get('mailops-preview-detail')) customElements.define('mailops-preview-detail', PreviewDetail);

declare global {
  interface HTMLElementTagNameMap {
    'mailops-preview-detail': PreviewDetail;
  }
}
