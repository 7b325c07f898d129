/** The page's stylesheet: VS Code theme colours only (--vscode-*), with fallbacks for a page outside VS Code. */
import { ROW_HEIGHT_PX } from './constants';

const css = String.raw;

export const appStyles = new CSSStyleSheet();
appStyles.replaceSync(css`
  html, body { height: 100%; margin: 0; padding: 0; }
  body {
    color: var(--vscode-foreground, #cccccc);
    background: var(--vscode-editor-background, #1f1f1f);
    font-family: var(--vscode-font-family, system-ui, sans-serif);
    font-size: var(--vscode-font-size, 13px);
    overflow: hidden;
  }
  mailops-restore-preview { display: block; height: 100vh; }
  mailops-preview-grid, mailops-preview-detail { display: block; height: 100%; min-width: 0; }
  mailops-preview-toolbar, mailops-preview-footer { display: flex; flex-direction: column; gap: 8px; }
  .app { display: flex; flex-direction: column; height: 100%; box-sizing: border-box; padding: 8px 12px; gap: 8px; }
  .plan-header, .filters, .target, .preview-tools { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
  .plan-header .sep { color: var(--vscode-descriptionForeground, #9d9d9d); }
  .spacer { flex: 1; }
  .counts, .note, .lbl { color: var(--vscode-descriptionForeground, #9d9d9d); }
  .filters .search { flex: 1; min-width: 220px; }
  .filters vscode-textfield[type='date'] { width: 150px; }
  .split { flex: 1; min-height: 120px; border: 1px solid var(--vscode-panel-border, #2b2b2b); }
  .pane { height: 100%; overflow: hidden; display: flex; flex-direction: column; }
  .banner { padding: 6px 8px; border: 1px solid var(--vscode-inputValidation-errorBorder, #be1100); background: var(--vscode-inputValidation-errorBackground, #5a1d1d); }

  .grid { display: flex; flex-direction: column; height: 100%; outline: none; min-width: 0; }
  .grid:focus-visible { outline: 1px solid var(--vscode-focusBorder, #0078d4); outline-offset: -1px; }
  /* The same scroll bar gutter in head and body: the header's columns line up with the rows'. */
  .grid-head { flex: none; border-bottom: 1px solid var(--vscode-panel-border, #2b2b2b); overflow: hidden; scrollbar-gutter: stable; }
  .grid-body { flex: 1; overflow-y: auto; overflow-x: hidden; position: relative; contain: strict; scrollbar-gutter: stable; }
  .grid-body::-webkit-scrollbar { width: 10px; }
  .grid-body::-webkit-scrollbar-thumb { background: var(--vscode-scrollbarSlider-background, rgba(121, 121, 121, 0.4)); }
  .grid-body::-webkit-scrollbar-thumb:hover { background: var(--vscode-scrollbarSlider-hoverBackground, rgba(100, 100, 100, 0.7)); }
  .grid-spacer { position: relative; width: 100%; }
  .row {
    display: grid;
    /* columns.ts chooses the columns that fit the grid's width (Status and Destination always) */
    grid-template-columns: var(--mailops-grid-columns);
    height: ${ROW_HEIGHT_PX}px; line-height: ${ROW_HEIGHT_PX}px; box-sizing: border-box;
    cursor: default; user-select: none;
  }
  .grid-body .row { position: absolute; top: 0; left: 0; right: 0; will-change: transform; contain: layout paint; }
  .row.head { font-weight: 600; background: var(--vscode-editorGroupHeader-tabsBackground, #181818); }
  .row:not(.head):hover { background: var(--vscode-list-hoverBackground, #2a2d2e); }
  .row.selected { background: var(--vscode-list-inactiveSelectionBackground, #37373d); color: var(--vscode-list-inactiveSelectionForeground, inherit); }
  .grid:focus .row.selected { background: var(--vscode-list-activeSelectionBackground, #04395e); color: var(--vscode-list-activeSelectionForeground, #ffffff); }
  .grid:focus .row.focused { outline: 1px solid var(--vscode-list-focusOutline, #0078d4); outline-offset: -1px; }
  .cell { overflow: hidden; white-space: nowrap; text-overflow: ellipsis; padding: 0 6px; }
  .cell.num { font-variant-numeric: tabular-nums; }
  /* Folder paths lose their start, not their end, when cut: "…0415/Archive" tells where a message goes. */
  .cell.path { direction: rtl; text-align: left; }
  .cell.path > span { direction: ltr; unicode-bidi: isolate; }
  .cell-select { display: flex; align-items: center; justify-content: center; padding: 0; }
  .check { color: var(--vscode-descriptionForeground, #9d9d9d); }
  .selected .check { color: inherit; }
  .sortable { cursor: pointer; display: flex; align-items: center; gap: 2px; }
  .sortable:hover { background: var(--vscode-list-hoverBackground, #2a2d2e); }
  vscode-badge.status-present { --vscode-badge-background: var(--vscode-editorWarning-foreground, #cca700); --vscode-badge-foreground: var(--vscode-editor-background, #1f1f1f); }
  vscode-badge.status-new { --vscode-badge-background: var(--vscode-testing-iconPassed, #73c991); --vscode-badge-foreground: var(--vscode-editor-background, #1f1f1f); }
  .empty { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center; color: var(--vscode-descriptionForeground, #9d9d9d); padding: 16px; text-align: center; }

  .preview { height: 100%; overflow: auto; padding: 8px 12px; box-sizing: border-box; }
  .empty-preview { color: var(--vscode-descriptionForeground, #9d9d9d); }
  .headers { border-collapse: collapse; margin-bottom: 8px; width: 100%; }
  .headers th { text-align: left; vertical-align: top; padding: 1px 8px 1px 0; color: var(--vscode-descriptionForeground, #9d9d9d); font-weight: normal; white-space: nowrap; width: 1%; }
  .headers td { padding: 1px 0; word-break: break-word; }
  .mail-text { white-space: pre-wrap; word-break: break-word; font-family: var(--vscode-editor-font-family, monospace); margin: 8px 0; }
  .mail-html { margin: 8px 0; padding: 8px; border: 1px solid var(--vscode-panel-border, #2b2b2b); overflow-wrap: anywhere; }
  .mail-html img { max-width: 100%; }
  .mail-html a { color: var(--vscode-textLink-foreground, #4daafc); text-decoration: underline dotted; cursor: help; }
  .mail-html table { border-collapse: collapse; max-width: 100%; }

  .footer { display: flex; flex-direction: column; gap: 6px; }
  .target vscode-textfield { min-width: 260px; }
  .field-error { color: var(--vscode-errorForeground, #f85149); }
  .status { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
  .status vscode-progress-bar { width: 240px; }
  .result.ok .codicon { color: var(--vscode-testing-iconPassed, #73c991); }
  .result.bad .codicon { color: var(--vscode-errorForeground, #f85149); }
`);
