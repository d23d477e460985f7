import { describe, expect, it } from 'vitest';
import { HEDGE_BURST, HEDGE_SAMPLES, HedgeBudget, HedgeDelay, MIN_LEARNED_DELAY_MS } from '../../../../src/balancer/routing/hedging.js';

function spendAll(budget: HedgeBudget): number {
  let spent = 0;
  while (budget.available) {
    budget.spend();
    spent += 1;
  }
  return spent;
}

describe('HedgeBudget', () => {
  it('when it starts, then a burst of hedges may go at once', () => {
    expect(spendAll(new HedgeBudget(10))).toBe(HEDGE_BURST);
  });

  it('when it is spent, then each further hedge takes as many tries as the share says', () => {
    const budget = new HedgeBudget(10);
    spendAll(budget);
    for (let i = 0; i < 9; i++) budget.earn();
    expect(budget.available).toBe(false);
    budget.earn();
    expect(spendAll(budget)).toBe(1);
  });

  it('when nothing is hedged for a long time, then no more than the burst is saved up', () => {
    const budget = new HedgeBudget(50);
    for (let i = 0; i < 1_000; i++) budget.earn();
    expect(spendAll(budget)).toBe(HEDGE_BURST);
  });
});


function learned(times: readonly number[]): number | undefined {
  const delay = new HedgeDelay('auto');
  for (const ms of times) delay.record(ms);
  return delay.ms;
}

describe('the hedge delay', () => {
  it('when it is a number of ms, then that is the delay, and 0 means no hedging', () => {
    const fixed = new HedgeDelay(20);
    fixed.record(500);
    expect(fixed.ms).toBe(20);
  });

  it('when it is learned, then nothing is hedged until 64 answers have been seen', () => {
    expect(learned(Array(63).fill(5))).toBeUndefined();
    expect(learned(Array(64).fill(5))).toBe(5);
  });

  it('when it is learned, then it is the 95th percentile of the answer times', () => {
    // 1..100 ms, shuffled: the 95th percentile is 96 ms (the 96th of 100, counting from 1).
    const times = Array.from({ length: 100 }, (_, i) => i + 1).sort((a, b) => ((a * 37) % 101) - ((b * 37) % 101));
    const delay = new HedgeDelay('auto');
    for (const ms of times.slice(0, 64)) delay.record(ms);
    const first = delay.ms;
    for (const ms of [...times.slice(64), ...times.slice(0, 28)]) delay.record(ms);
    expect(first).toBeGreaterThan(50);
    expect(delay.ms).toBe(96);
  });

  it('when answers take microseconds, then the delay is still at least a millisecond', () => {
    expect(learned(Array(64).fill(0.05))).toBe(MIN_LEARNED_DELAY_MS);
  });

  it('when the answer times change, then the delay follows the latest ones only', () => {
    const delay = new HedgeDelay('auto');
    for (let i = 0; i < HEDGE_SAMPLES; i++) delay.record(50);
    expect(delay.ms).toBe(50);
    for (let i = 0; i < HEDGE_SAMPLES; i++) delay.record(3);
    expect(delay.ms).toBe(3);
  });
});
