/**
 * What the worker is doing right now: how many calculations are running or waiting (reported
 * by `/health_check` and the metrics) and whether it is shutting down. Shutdown itself waits
 * for the HTTP server's requests to be answered (http-server.ts), not on this count.
 */
export class WorkState {
  private running = 0;
  private draining = false;
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
  }
}
