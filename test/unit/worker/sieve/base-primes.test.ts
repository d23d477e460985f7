import { describe, expect, it } from 'vitest';
import { BasePrimes, sieveSmall } from '../../../../src/worker/sieve/base-primes.js';
import { isPrimeByTrialDivision } from './brute-force.js';

describe('base primes', () => {
  it('when asked for the primes up to n, then it gives exactly those, ascending', () => {
    expect(Array.from(sieveSmall(30))).toEqual([2, 3, 5, 7, 11, 13, 17, 19, 23, 29]);
    const base = new BasePrimes(100);
    expect(Array.from(base.upTo(30))).toEqual([2, 3, 5, 7, 11, 13, 17, 19, 23, 29]);
    expect(base.upTo(1).length).toBe(0);
  });

  it('when a larger limit comes, then it grows past its first sieve and stays right at the seams', () => {
    const base = new BasePrimes();
    const primes = base.upTo(300_000);
    expect(primes.length).toBe(25_997);
    const around = Array.from(base.upTo(200_000).slice(-3));
    expect(around.every(isPrimeByTrialDivision)).toBe(true);
    // Every prime between the seed sieve's end (2^16) and a little after, none missing.
    const seam = Array.from(primes).filter((p) => p > 65_000 && p < 67_000);
    const expected = Array.from({ length: 2_000 }, (_, i) => 65_000 + i).filter(isPrimeByTrialDivision);
    expect(seam).toEqual(expected);
  });

  it('when asked beyond √(2^53), which no task needs, then it refuses', () => {
    expect(() => new BasePrimes().upTo(2 ** 28)).toThrow(RangeError);
  });
});
