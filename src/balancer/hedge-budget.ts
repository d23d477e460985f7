/** Hedges that may go at once before the share applies (a full bucket at start). */
export const HEDGE_BURST = 10;

/**
 * Bounds hedging to a share of the light requests ("The Tail at Scale"): each light try earns
 * `percent` % of a hedge, a hedge spends a whole one, and at most HEDGE_BURST are saved up. A
 * stall now and then is hedged at once; a saturated system, where every request is slower
 * than the hedge delay, is not sent a second copy of each (measured under wrk with hedging
 * after 1 ms and no budget: 18 % fewer requests per second).
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
