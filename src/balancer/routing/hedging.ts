/** Hedges that may go at once before the share applies (a full bucket at start). */
export const HEDGE_BURST = 10;
/** Answer times the learned delay is taken from: the most recent ones. */
export const HEDGE_SAMPLES = 512;
/** The delay is worked out again after this many new answers (a sort of HEDGE_SAMPLES numbers). */
const RECOMPUTE_EVERY = 64;
/**
 * Never hedge sooner than this. On loopback a light answer takes a fraction of a millisecond,
 * and a percentile of such times would send a second copy of requests that were only queued
 * behind a few others in the balancer's own event loop.
 */
export const MIN_LEARNED_DELAY_MS = 1;

/**
 * Bounds hedging to a share of the light requests ("The Tail at Scale"): each light try earns
 * `percent` % of a hedge, a hedge spends a whole one, and at most HEDGE_BURST are saved up. A
 * stall now and then is hedged at once; a saturated system, where every request is slower
 * than the hedge delay, is not sent a second copy of each.
 */
export class HedgeBudget {
  /** In hundredths of a hedge: whole numbers, so ten tries at 10 % make exactly one. */
  private hundredths = HEDGE_BURST * 100;

  constructor(private readonly percent: number) {}

  earn(): void {
    this.hundredths = Math.min(HEDGE_BURST * 100, this.hundredths + this.percent);
  }

  get available(): boolean {
    return this.hundredths >= 100;
  }

  spend(): void {
    this.hundredths -= 100;
  }
}

/**
 * How long a light request waits for its answer before it is hedged. Fixed (`HEDGE_AFTER_MS`
 * in ms), or learned: the 95th percentile of the latest light answer times, as "The Tail at
 * Scale" recommends — only the slowest twentieth of requests are candidates, whatever the
 * network between balancer and workers. A learned delay hedges nothing until it has seen
 * RECOMPUTE_EVERY answers.
 */
export class HedgeDelay {
  private readonly samples = new Float64Array(HEDGE_SAMPLES);
  private count = 0;
  private learned: number | undefined;

  /** `setting`: HEDGE_AFTER_MS, above 0 (with 0, createHedging makes none). */
  constructor(private readonly setting: number | 'auto') {}

  /** The delay now, in ms; undefined: do not hedge yet (auto, still learning). */
  get ms(): number | undefined {
    return this.setting === 'auto' ? this.learned : this.setting;
  }

  /** A light request was answered after `ms`. */
  record(ms: number): void {
    if (this.setting !== 'auto') return;
    this.samples[this.count % HEDGE_SAMPLES] = ms;
    this.count += 1;
    if (this.count % RECOMPUTE_EVERY === 0) this.learned = Math.max(MIN_LEARNED_DELAY_MS, this.percentile(0.95));
  }

  private percentile(q: number): number {
    const sorted = this.samples.slice(0, Math.min(this.count, HEDGE_SAMPLES)).sort();
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  }
}

/** What the tries of light requests share when hedging is on: its delay and its budget. */
export interface Hedging {
  delay: HedgeDelay;
  budget: HedgeBudget;
}

/** Hedging as configured, or undefined when it is off (HEDGE_AFTER_MS=0): then nothing of it runs. */
export function createHedging(afterMs: number | 'auto', budgetPercent: number): Hedging | undefined {
  if (afterMs === 0) return undefined;
  return { delay: new HedgeDelay(afterMs), budget: new HedgeBudget(budgetPercent) };
}
