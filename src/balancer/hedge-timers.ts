/** A hedge waiting for its time; `fire` is cleared when it is cancelled. */
export interface PendingHedge {
  readonly at: number;
  fire: (() => void) | undefined;
}

/**
 * The light requests that may be hedged, each due at its own time, under one timer for all of
 * them, set for the earliest due time. Answered hedges are never cleared one by one (a cleared
 * Node.js timer still wakes the loop at its expiry), and hedges waiting together share one
 * wake-up; at a few hundred requests a second that is still about one wake-up per light request
 * answered before its hedge was due. The proxy also calls `poll()` whenever it is woken anyway
 * (a request arrives, a worker answers), which sends a due hedge as soon as it sees one.
 *
 * The timer is set for the due time itself, not later. It was once left to run 5 ms past it,
 * so that fewer timers would wake the balancer for answers that had already come. But a hedge
 * matters when nothing else wakes the balancer (no answers, no new requests), and then it went
 * out up to 5 ms late: in two A/B runs light p99 was 3.89 and 3.68 ms with the slack against
 * 3.07 and 3.31 ms on time, for 11–21 µs more CPU per request (BENCHMARKS.md, session 10).
 * Cancelling is O(1): cancelled entries are dropped when they reach the front.
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
    // Whole milliseconds, rounded up: Node drops the fraction of a delay and counts from its
    // loop's whole-millisecond clock, so a 1.6 ms timer ran out after about 1.1 ms, before the
    // hedge was due, and took a second timer and wake-up to send it.
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.poll();
      },
      Math.max(1, Math.ceil(at - this.now())),
    );
    this.timer.unref();
  }
}
