/**
 * The webview's handle on the extension: `acquireVsCodeApi()` may be called once per page, so it is wrapped here
 * and typed with the shared protocol (only `WebviewMessage`s can be posted, only `PreviewViewState` stored).
 */
import type { PreviewViewState, WebviewMessage } from '../src/shared/previewProtocol';

interface RawVsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare global {
  function acquireVsCodeApi(): RawVsCodeApi;
}

export interface VsCodeApi {
  post(message: WebviewMessage): void;
  /** Whatever was stored last; validate it before use (isPreviewViewState). */
  getState(): unknown;
  setState(state: PreviewViewState): void;
}

let api: VsCodeApi | undefined;

export function vscodeApi(): VsCodeApi {
  if (!api) {
    const raw = acquireVsCodeApi();
    api = {
      post: (m) => raw.postMessage(m),
      getState: () => raw.getState(),
      setState: (s) => raw.setState(s),
    };
  }
  return api;
}
