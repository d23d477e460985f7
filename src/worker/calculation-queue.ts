/**
 * Heavy calculations wait here for one of `slots` places, first come first served, instead
 * of all going straight to libuv's queue. A calculation handed to OpenSSL cannot be
 * cancelled; one still waiting here can: if its client has gone by the time a place frees
 * up, it is dropped (a proxy that forwards everything at once, then loses its client, would
 * otherwise leave the worker computing answers nobody reads).
 */
export class CalculationQueue {
  private running = 0;
  private readonly waiting: Array<{ start: () => void; wanted: () => boolean; drop: () => void }> = [];

  constructor(private readonly slots: number) {}

  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Runs `work` when a place is free and the caller still `wanted()` it; resolves undefined
   * when it was dropped instead.
   */
  run<T>(work: () => Promise<T>, wanted: () => boolean): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      const start = (): void => {
        this.running += 1;
        work().then(resolve, reject).finally(() => {
          this.running -= 1;
          this.next();
        });
      };
      if (this.running < this.slots) start();
      else this.waiting.push({ start, wanted, drop: () => resolve(undefined) });
    });
  }

  private next(): void {
    while (this.running < this.slots) {
      const head = this.waiting.shift();
      if (!head) return;
      if (head.wanted()) head.start();
      else head.drop();
    }
  }
}
