/**
 * The webview's side of the protocol: the store's port to the extension (commands through the VS Code API, the
 * view state saved with setState, debounced) and the extension's messages into the store. Every incoming message
 * is checked with isExtensionMessage; anything else (another extension's, a malformed one) is ignored.
 */
import { isExtensionMessage, isPreviewViewState } from '../src/shared/previewProtocol';
import { PreviewStore, type StoreTiming } from './store';
import type { VsCodeApi } from './vscodeApi';

/** Saving the view state at most this often (scrolling saves too). */
const SAVE_MS = 200;

/** A store wired to the VS Code API, starting from the state saved before a reload (when it is still valid). */
export function createStore(api: VsCodeApi, timing?: StoreTiming): PreviewStore {
  let saveTimer: ReturnType<typeof setTimeout> | undefined;
  const saved = api.getState();
  const store: PreviewStore = new PreviewStore(
    {
      post: (m) => api.post(m),
      persist: () => {
        saveTimer ??= setTimeout(() => {
          saveTimer = undefined;
          api.setState(store.snapshot());
        }, SAVE_MS);
      },
    },
    isPreviewViewState(saved) ? saved : undefined,
    timing,
  );
  return store;
}

/** Feeds the extension's messages to the store and says `ready`; returns the disconnect. */
export function connect(store: PreviewStore, api: VsCodeApi, target: Window): () => void {
  const onMessage = (event: MessageEvent<unknown>): void => {
    if (isExtensionMessage(event.data)) store.receive(event.data);
  };
  target.addEventListener('message', onMessage);
  api.post(store.readyMessage());
  return () => target.removeEventListener('message', onMessage);
}
