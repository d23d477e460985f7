import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../src/shared/backoff.js';

describe('backoffDelay', () => {
  const options = { baseMs: 100, maxMs: 5_000 };

  it('when retrying, then the delay doubles from the base', () => {
    const lowest = [0, 1, 2, 3].map((attempt) => backoffDelay(attempt, { ...options, random: () => 0 }));
    expect(lowest).toEqual([50, 100, 200, 400]);
  });

  it('when many attempts failed, then the delay stays at the cap', () => {
    expect(backoffDelay(50, { ...options, random: () => 1 })).toBe(5_000);
    expect(backoffDelay(1_000_000, { ...options, random: () => 0 })).toBe(2_500);
  });

  it('when jittered, then the delay stays between half and all of the ceiling', () => {
    for (let i = 0; i < 100; i++) {
      const delay = backoffDelay(3, options);
      expect(delay).toBeGreaterThanOrEqual(400);
      expect(delay).toBeLessThanOrEqual(800);
    }
  });
});
