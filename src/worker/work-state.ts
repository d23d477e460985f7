/**
 * What the worker is doing right now: how many calculations are running and whether it is
 * shutting down. Shutdown waits on `idle()` so that nothing in flight is cut off.
 */
export class WorkState {
  private running = 0;
  private draining = false;
  private waiters: Array<() => void> = [];
  private readonly onDrain = new Set<() => void>();

  get inFlight(): number {
    return this.running;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  startDraining(): void {
    this.draining = true;
    for (const listener of [...this.onDrain]) listener();
  }

  /** Calls `listener` when draining starts (work that another worker can redo stops early). */
  whenDraining(listener: () => void): () => void {
    this.onDrain.add(listener);
    return () => this.onDrain.delete(listener);
  }

  begin(): void {
    this.running += 1;
  }

  end(): void {
    this.running -= 1;
    if (this.running === 0) {
      for (const wake of this.waiters.splice(0)) wake();
    }
  }

  /** Resolves once no calculation is running. */
  idle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
