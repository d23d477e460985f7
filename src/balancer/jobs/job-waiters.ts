/**
 * Clients waiting for a job to end (`GET /jobs/:id?wait=S`): each is woken when the job ends,
 * when its time is up, or when it hangs up, whichever comes first.
 */
export class JobWaiters {
  private readonly waiting = new Set<() => void>();

  wait(ms: number, signal: AbortSignal): Promise<void> {
    if (ms <= 0 || signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiting.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiting.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** The job ended (or the balancer is closing): every waiter gets its answer now. */
  wakeAll(): void {
    for (const wake of [...this.waiting]) wake();
  }
}
