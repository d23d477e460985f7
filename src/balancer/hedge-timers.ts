/** A hedge waiting for its time; `fire` is cleared when it is cancelled. */
export interface PendingHedge {
  readonly at: number;
  fire: (() => void) | undefined;
}

/**
 * The light requests that may be hedged, each due at its own time, under one timer for all of
 * them, set for the earliest due time: never a Timeout per request (an object, a list insertion
 * and a clear each), and one wake-up, not several, when several hedges wait. The proxy also
 * calls `poll()` whenever it is woken anyway (a request arrives, a worker answers), which sends
 * a due hedge sooner than Node's millisecond timers would.
 *
 * The timer is set for the due time itself, not later. It was once left to run 5 ms past it,
 * so that fewer timers would wake the balancer for answers that had already come; but a light
 * request is usually stuck when the machine is busy and nothing else wakes the balancer, and
 * then its hedge went out too late to help: light p99 3.7–3.9 ms against 3.1–3.3 ms with the
 * timer on time, for about 15 µs more CPU per request (BENCHMARKS.md, session 10). A timer
 * that is no longer needed is left to run out rather than cleared (a cleared Node.js timer
 * still wakes the loop at its expiry). Cancelling is O(1): cancelled entries are dropped when
 * they reach the front.
 */
export class HedgeTimers {
  /** In order of `at`. */
  private readonly pending: PendingHedge[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  /** When `timer` runs out. */
  private timerAt = 0;

  constructor(
    /** Told of a hedge that threw; the others still go out. */
    private readonly onError: (err: unknown) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Calls `fire` once `afterMs` have passed (see above), unless `cancel` is called first. */
  schedule(afterMs: number, fire: () => void): PendingHedge {
    const entry: PendingHedge = { at: this.now() + afterMs, fire };
    // A learned delay may shrink, so a new entry can be due before older ones: keep the order.
    let i = this.pending.length;
    while (i > this.head && this.pending[i - 1]!.at > entry.at) i -= 1;
    if (i === this.pending.length) this.pending.push(entry);
    else this.pending.splice(i, 0, entry);
    this.arm();
    return entry;
  }

  cancel(entry: PendingHedge): void {
    entry.fire = undefined;
  }

  /** Fires every hedge that is due. Cheap when none is: call it on every wake-up. */
  poll(): void {
    const now = this.now();
    try {
      while (this.head < this.pending.length) {
        const entry = this.pending[this.head]!;
        if (entry.fire !== undefined && entry.at > now) break;
        this.head += 1;
        const fire = entry.fire;
        entry.fire = undefined;
        try {
          fire?.();
        } catch (err) {
          this.onError(err);
        }
      }
    } finally {
      // Even if onError threw: the hedges left must keep their timer.
      if (this.head === this.pending.length) {
        this.pending.length = 0;
        this.head = 0;
      } else if (this.head > 1024 && this.head * 2 > this.pending.length) {
        this.pending.splice(0, this.head);
        this.head = 0;
      }
      this.arm();
    }
  }

  /** Pending hedges, cancelled ones not yet dropped included. */
  get size(): number {
    return this.pending.length - this.head;
  }

  /**
   * One timer at most, for the front entry. It is set again sooner only when a new front entry
   * is due before it (a learned delay that shrank), which a fixed delay never causes.
   */
  private arm(): void {
    if (this.head === this.pending.length) return;
    const at = this.pending[this.head]!.at;
    if (this.timer !== undefined) {
      if (at >= this.timerAt) return;
      clearTimeout(this.timer);
    }
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.poll();
    }, Math.max(0, at - this.now()));
    this.timer.unref();
  }
}
