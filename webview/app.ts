/**
 * <mailops-restore-preview>: the restore preview. It owns the store (store.ts) and its connection to the
 * extension (ipc.ts), and lays out the parts: what is previewed and the filters (toolbar.ts), the plan's
 * messages (grid.ts) beside the focused message (detail.ts), and where the mail goes with the restore button and
 * its progress (footer.ts).
 *
 * Rendered in the light DOM (styles through document.adoptedStyleSheets, which the CSP allows) so the codicon
 * stylesheet applies and the elements can be reached from tests with plain selectors (see data-testid).
 */
import { LitElement, html, nothing, type TemplateResult } from 'lit';
import '@vscode-elements/elements/dist/vscode-split-layout/index.js';
import type { VscodeSplitLayout } from '@vscode-elements/elements/dist/vscode-split-layout/vscode-split-layout.js';
import './detail';
import './footer';
import './grid';
import './toolbar';
import { connect, createStore } from './ipc';
import type { PreviewStore } from './store';
import { StoreController } from './storeController';
import { appStyles } from './styles';
import { vscodeApi, type VsCodeApi } from './vscodeApi';

export class RestorePreviewApp extends LitElement {
  private readonly api: VsCodeApi;
  readonly store: PreviewStore;
  private disconnect: (() => void) | undefined;

  constructor() {
    super();
    this.api = vscodeApi();
    this.store = createStore(this.api);
    new StoreController(this, () => this.store);
  }

  protected override createRenderRoot(): HTMLElement {
    if (!document.adoptedStyleSheets.includes(appStyles)) document.adoptedStyleSheets = [...document.adoptedStyleSheets, appStyles];
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.disconnect ??= connect(this.store, this.api, window);
  }

  override disconnectedCallback(): void {
    this.disconnect?.();
    this.disconnect = undefined;
    super.disconnectedCallback();
  }

  protected override render(): TemplateResult {
    const store = this.store;
    const err = store.planError;
    return html`
      <div class="app" data-testid="restore-preview">
        <mailops-preview-toolbar .store=${store}></mailops-preview-toolbar>
        ${err ? html`<div class="banner error" role="alert" data-testid="error-banner"><span class="codicon codicon-error"></span> ${err.message}${err.hint ? html` — ${err.hint}` : nothing}</div>` : nothing}
        <vscode-split-layout
          class="split"
          split="vertical"
          initial-handle-position=${store.split ?? '62%'}
          min-start="240px"
          min-end="200px"
          @vsc-split-layout-change=${(e: Event) => store.setSplit((e.currentTarget as VscodeSplitLayout).handlePosition)}
        >
          <div slot="start" class="pane"><mailops-preview-grid .store=${store}></mailops-preview-grid></div>
          <div slot="end" class="pane"><mailops-preview-detail .store=${store}></mailops-preview-detail></div>
        </vscode-split-layout>
        <mailops-preview-footer .store=${store}></mailops-preview-footer>
      </div>
    `;
  }
}

if (!customElements.get('mailops-restore-preview')) customElements.define('mailops-restore-preview', RestorePreviewApp);

declare global {
  interface HTMLElementTagNameMap {
    'mailops-restore-preview': RestorePreviewApp;
  }
}
