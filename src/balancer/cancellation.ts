/**
 * A one-shot "the client went away" signal for one request. The request path cancels a queue
 * wait and an upstream request with it; an AbortController and EventTarget do the same job at
 * several times the cost, paid on every request.
 */
export class Cancellation {
  private listeners: Array<() => void> | undefined = [];

  get cancelled(): boolean {
    return this.listeners === undefined;
  }

  cancel(): void {
    const listeners = this.listeners;
    if (!listeners) return;
    this.listeners = undefined;
    for (const listener of listeners) listener();
  }

  /** Calls `listener` on cancel (at once if already cancelled); returns an unsubscribe. */
  onCancel(listener: () => void): () => void {
    if (!this.listeners) {
      listener();
      return () => {};
    }
    this.listeners.push(listener);
    return () => {
      const index = this.listeners?.indexOf(listener) ?? -1;
      if (index !== -1) this.listeners?.splice(index, 1);
    };
  }
}
