import { describe, expect, it } from 'vitest';
import { HEDGE_BURST, HedgeBudget } from '../../../src/balancer/hedge-budget.js';

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
