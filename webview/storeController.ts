/** A Lit controller that re-renders its element whenever the preview store changes. */
import { LitElement, type ReactiveController, type ReactiveControllerHost } from 'lit';
import type { PreviewStore } from './store';

export class StoreController implements ReactiveController {
  private subscribed: { store: PreviewStore; unsubscribe: () => void } | undefined;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly store: () => PreviewStore | undefined,
  ) {
    host.addController(this);
  }

  /** Follows the element's `store` property (set by its parent, possibly after it was connected). */
  private follow(): void {
    const store = this.store();
    if (this.subscribed?.store === store) return;
    this.subscribed?.unsubscribe();
    this.subscribed = store ? { store, unsubscribe: store.subscribe(() => this.host.requestUpdate()) } : undefined;
  }

  hostConnected(): void {
    this.follow();
  }

  hostUpdate(): void {
    this.follow();
  }

  hostDisconnected(): void {
    this.subscribed?.unsubscribe();
    this.subscribed = undefined;
  }
}

/** An element of the preview that renders the store (light DOM, the page's styles) and re-renders on its changes. */
export class StoreElement extends LitElement {
  static override properties = { store: { attribute: false } };
  declare store: PreviewStore | undefined;

  constructor() {
    super();
    new StoreController(this, () => this.store);
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }
}
