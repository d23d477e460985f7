/**
 * How long past its due time a hedge may wait when no traffic wakes the balancer (below).
 * Under load the balancer is woken every millisecond or so anyway.
 */
export const HEDGE_FALLBACK_MS = 5;

/** A hedge waiting for its time; `fire` is cleared when it is cancelled. */
export interface PendingHedge {
  readonly at: number;
  fire: (() => void) | undefined;
}

/**
 * The light requests that may be hedged, each due at its own time, without a timer per request.
 * A 1 ms timer per light request woke the balancer about once per request even though almost
 * every answer came first (a cleared Node.js timer still wakes the loop at its expiry): about
 * 40 µs of CPU per request at a few hundred a second, measured (BENCHMARKS.md). Instead, the
 * proxy calls `poll()` whenever it is woken anyway (a request arrives, a worker answers), and
 * one fallback timer, set HEDGE_FALLBACK_MS past the earliest due time, covers quiet moments.
 * A hedge therefore goes out at the first wake-up after its due time, at most HEDGE_FALLBACK_MS
 * late. Cancelling is O(1): cancelled entries are dropped when they reach the front.
 */
export class HedgeTimers {
  /** In order of `at`. */
  private readonly pending: PendingHedge[] = [];
  private head = 0;
  private fallback: NodeJS.Timeout | undefined;
  /** When `fallback` runs out. */
  private fallbackAt = 0;

  constructor(
    /** Told of a hedge that threw; the others still go out. */
    private readonly onError: (err: unknown) => void,
    private readonly fallbackMs = HEDGE_FALLBACK_MS,
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
      // Even if onError threw: the hedges left must keep their fallback.
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
   * One timer at most, left to run out rather than cleared (see the class comment). It is only
   * set again sooner when a new front entry is due before it (a learned delay that shrank),
   * which a fixed delay never causes.
   */
  private arm(): void {
    if (this.head === this.pending.length) return;
    const at = this.pending[this.head]!.at + this.fallbackMs;
    if (this.fallback !== undefined) {
      if (at >= this.fallbackAt) return;
      clearTimeout(this.fallback);
    }
    this.fallbackAt = at;
    this.fallback = setTimeout(() => {
      this.fallback = undefined;
      this.poll();
    }, Math.max(0, at - this.now()));
    this.fallback.unref();
  }
}
