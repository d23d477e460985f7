import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PrimeCounter } from '../../../../src/worker/sieve/prime-counter.js';
import { countByDefinition } from './brute-force.js';
import { PI_10K, TWINS_10K } from '../../../support/primesieve.js';


describe('prime counter', () => {
  it('when counting [0, 10^k] for k up to 9, then it finds the known π(10^k) and twin pairs', () => {
    const counter = new PrimeCounter();
    for (let k = 1; k <= 9; k++) {
      const result = counter.count(0, 10 ** k)!;
      expect([result.primes, result.twinPrimes], `10^${k}`).toEqual([PI_10K[k - 1], TWINS_10K[k - 1]]);
    }
  });

  it.each([
    [0, 0], [0, 1], [0, 2], [1, 2], [2, 2], [2, 3], [3, 3], [3, 5], [4, 7], [5, 6], [5, 7], [0, 6], [7, 7],
    [8, 10], [11, 13], [12, 13], [29, 31], [30, 31], [0, 30], [0, 100], [24, 28], [529, 529], [527, 531],
  ])('when counting a small range [%i, %i], then it agrees with the definition, first and last prime included', (from, to) => {
    expect(new PrimeCounter().count(from, to)).toEqual(countByDefinition(from, to));
  });

  // Tiny segments (64 bytes, 1920 numbers) put primes above 128 in buckets and those between 64
  // and 128 through the one-at-a-time walk: every strategy and every segment seam gets tested
  // on numbers small enough for trial division.
  it('when counting random ranges with tiny segments, then every crossing-off strategy agrees with the definition', () => {
    const counter = new PrimeCounter({ segmentShift: 6, smallFactor: 1, bigFactor: 2 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400_000 }), fc.integer({ min: 0, max: 30_000 }), (from, span) => {
        expect(counter.count(from, from + span)).toEqual(countByDefinition(from, from + span));
      }),
      { numRuns: 300, seed: 20_261_202 },
    );
  });

  it('when the same counter counts tasks of growing size, then its kept base primes and buckets stay right', () => {
    const counter = new PrimeCounter({ segmentShift: 8 });
    for (const [from, to] of [[1_000_000, 1_010_000], [10, 50], [90_000_000, 90_020_000], [5_000_000, 5_030_000]] as const) {
      expect(counter.count(from, to)).toEqual(countByDefinition(from, to));
    }
  });

  it('when the big primes’ buckets grow the kernels’ memory mid-task, then the count is still right', () => {
    // A fresh counter: its first big primes make the memory grow, which moves every view on it.
    expect(new PrimeCounter({ segmentShift: 6 }).count(388_443, 417_449)).toEqual(countByDefinition(388_443, 417_449));
  });

  it('when asked to stop, then it stops at the next segment and says so', () => {
    const counter = new PrimeCounter({ segmentShift: 10 });
    let asked = 0;
    expect(counter.count(0, 10_000_000, () => ++asked > 3)).toBeUndefined();
    expect(asked).toBe(4);
    expect(counter.count(0, 100)?.primes).toBe(25);
  });
});

describe('prime counter limits', () => {
  it.each([[-1, 5], [5, 4], [0, 2 ** 53], [1.5, 7], [0, Number.NaN]])('when asked to count [%d, %d], then it refuses with a RangeError', (from, to) => {
    expect(() => new PrimeCounter({ segmentShift: 6 }).count(from, to)).toThrow(RangeError);
  });
});
