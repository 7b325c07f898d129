/**
 * <mailops-preview-footer>: where the mail goes (target folder, or the original folders), the restore button, and
 * the restore's phases: checking, waiting for the confirmation, progress (only once confirmed), the verified
 * result or the error.
 */
import { html, nothing, type TemplateResult } from 'lit';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { VscodeCheckbox } from '@vscode-elements/elements/dist/vscode-checkbox/vscode-checkbox.js';
import type { VscodeTextfield } from '@vscode-elements/elements/dist/vscode-textfield/vscode-textfield.js';
import * as l10n from '@vscode/l10n';
import { LIMITS } from '../src/shared/previewProtocol';
import type { RestorePhase } from './store';
import { StoreElement } from './storeController';
import { confirmingText, hiddenNote, outcomeText, preparingText, progressText, restoreButton, skippedNote, targetProblemText, verifyText } from './text';

export class PreviewFooter extends StoreElement {
  protected override render(): TemplateResult {
    const store = this.store;
    if (!store) return html``;
    const h = store.header;
    const chosen = store.restoreIds.length;
    const hidden = store.selected.size - chosen;
    const skipped = chosen - store.newChosen;
    const busy = store.busy;
    const target = store.effectiveTarget;
    return html`<div class="footer">
      <div class="target">
        ${h?.folderTargetAllowed !== false
          ? html`<label class="lbl" for="target-folder">${l10n.t('Restore into')}</label>
              <vscode-textfield
                id="target-folder"
                data-testid="target-folder"
                aria-label=${l10n.t('Target folder')}
                ?disabled=${target?.kind === 'original' || busy}
                ?invalid=${store.targetProblem !== undefined}
                .value=${target?.kind === 'folder' ? target.folder : (h?.defaultTarget ?? '')}
                @input=${(e: Event) => store.setTargetFolder((e.target as VscodeTextfield).value)}
              ></vscode-textfield>`
          : html`<span class="note" data-testid="target-note">${l10n.t('Messages are unexpunged into the mailbox they were expunged from (the Destination column).')}</span>`}
        ${h?.intoOriginalAllowed && h.folderTargetAllowed
          ? html`<vscode-checkbox
              data-testid="into-original"
              ?disabled=${busy}
              .checked=${target?.kind === 'original'}
              @change=${(e: Event) => store.setIntoOriginal((e.target as VscodeCheckbox).checked)}
              >${l10n.t('Into the original folders')}</vscode-checkbox
            >`
          : nothing}
        <span class="spacer"></span>
        ${hidden > 0 ? html`<span class="note" data-testid="hidden-selected">${hiddenNote(hidden)}</span>` : nothing}
        ${skipped > 0 ? html`<span class="note" data-testid="skipped-selected">${skippedNote(skipped)}</span>` : nothing}
        <vscode-button data-testid="restore-button" icon="history" ?disabled=${!store.canRestore} @click=${() => store.runRestore()}
          >${restoreButton(store.newChosen, chosen)}</vscode-button
        >
      </div>
      ${store.targetProblem ? html`<div class="field-error" role="alert" data-testid="target-problem">${targetProblemText(store.targetProblem, LIMITS.folderLength)}</div>` : nothing}
      ${this.renderPhase(store.restore)}
    </div>`;
  }

  private renderPhase(r: RestorePhase): TemplateResult | typeof nothing {
    switch (r.phase) {
      case 'idle':
        return nothing;
      case 'preparing':
        return html`<div class="status" data-testid="restore-pending" data-phase="preparing" aria-live="polite">
          <span class="codicon codicon-loading codicon-modifier-spin"></span> ${preparingText(r.count)}
        </div>`;
      case 'confirming':
        return html`<div class="status" data-testid="restore-pending" data-phase="confirming" aria-live="polite">
          <span class="codicon codicon-question"></span> ${confirmingText(r.summary)}
        </div>`;
      case 'running': {
        const p = r.progress;
        return html`<div class="status" data-testid="restore-progress" aria-live="polite">
          ${p
            ? html`<vscode-progress-bar .value=${p.done} .max=${Math.max(1, p.total)} aria-label=${l10n.t('Restoring')}></vscode-progress-bar>`
            : html`<vscode-progress-bar indeterminate aria-label=${l10n.t('Restoring')}></vscode-progress-bar>`}
          ${progressText(r.summary, p)}
        </div>`;
      }
      case 'done': {
        const v = r.result.verify;
        const ok = v.missing === 0 && r.result.failed === 0;
        return html`<div class="status result ${ok ? 'ok' : 'bad'}" role="status" data-testid="restore-result" data-verify-missing=${v.missing}>
          <span class="codicon ${ok ? 'codicon-pass' : 'codicon-error'}"></span>
          ${outcomeText(r.result)} ${verifyText(r.result)}
        </div>`;
      }
      case 'error':
        return html`<div class="status result bad" role="alert" data-testid="restore-error">
          <span class="codicon codicon-error"></span> ${r.error.message}${r.error.hint ? html` — ${r.error.hint}` : nothing}
        </div>`;
    }
  }
}

if (!customElements.get('mailops-preview-footer')) customElements.define('mailops-preview-footer', PreviewFooter);

declare global {
  interface HTMLElementTagNameMap {
    'mailops-preview-footer': PreviewFooter;
  }
}
