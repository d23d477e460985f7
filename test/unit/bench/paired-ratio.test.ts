import { describe, expect, it } from 'vitest';
import { pairedRatio } from '../../../bench/paired-ratio.js';

describe('paired ratio of two targets measured round by round', () => {
  it('when every round has the same ratio, then that is the mean and the interval is that point', () => {
    const r = pairedRatio([110, 220, 330], [100, 200, 300]);
    expect(r.mean).toBeCloseTo(1.1, 10);
    expect(r.low).toBeCloseTo(1.1, 10);
    expect(r.high).toBeCloseTo(1.1, 10);
  });

  it('when ours is above in some rounds and below in others by about as much, then the interval contains 1', () => {
    // Req/s by round from a real mixed bench run: distcalc, then nginx round robin.
    const r = pairedRatio([375, 379, 378, 376, 370, 379, 377, 370], [381, 377, 383, 380, 378, 363, 372, 360]);
    expect(r.low).toBeLessThan(1);
    expect(r.high).toBeGreaterThan(1);
    expect(r.mean).toBeGreaterThan(r.low);
    expect(r.mean).toBeLessThan(r.high);
  });

  it('when one is consistently ahead by a little, then the interval excludes 1', () => {
    const r = pairedRatio([101, 102, 101.5, 102.5, 101], [100, 100, 100, 100, 100]);
    expect(r.low).toBeGreaterThan(1);
  });

  it('matches a t interval worked by hand (two rounds: t = 12.706)', () => {
    const r = pairedRatio([Math.E, 1], [1, 1]); // log ratios 1 and 0: mean 0.5, sd 0.7071, se 0.5
    expect(Math.log(r.mean)).toBeCloseTo(0.5, 10);
    expect(Math.log(r.high)).toBeCloseTo(0.5 + 12.706 * 0.5, 6);
    expect(Math.log(r.low)).toBeCloseTo(0.5 - 12.706 * 0.5, 6);
  });

  it('matches a t interval worked by hand for eight rounds, as the bench runs (t = 2.365)', () => {
    const logs = [0.01, -0.02, 0.03, 0, -0.01, 0.02, 0.015, -0.005];
    const r = pairedRatio(logs.map(Math.exp), logs.map(() => 1));
    const mean = logs.reduce((a, b) => a + b, 0) / 8;
    const sd = Math.sqrt(logs.reduce((s, x) => s + (x - mean) ** 2, 0) / 7);
    expect(Math.log(r.mean)).toBeCloseTo(mean, 10);
    expect(Math.log(r.high)).toBeCloseTo(mean + (2.365 * sd) / Math.sqrt(8), 10);
    expect(Math.log(r.low)).toBeCloseTo(mean - (2.365 * sd) / Math.sqrt(8), 10);
  });

  it('when there is one round only, then there is no interval (0 to infinity), not a point that looks conclusive', () => {
    const r = pairedRatio([110], [100]);
    expect(r.mean).toBeCloseTo(1.1, 10);
    expect(r.low).toBe(0);
    expect(r.high).toBe(Number.POSITIVE_INFINITY);
  });

  it('when the rounds do not pair up or a figure is not positive, then it says so instead of guessing', () => {
    expect(() => pairedRatio([1, 2], [1])).toThrow(/one pair per round/);
    expect(() => pairedRatio([], [])).toThrow(/at least one/);
    expect(() => pairedRatio([1, 0], [1, 1])).toThrow(/positive/);
  });
});
