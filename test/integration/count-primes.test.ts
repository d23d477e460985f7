import { execFileSync } from 'node:child_process';
import { beforeEach, describe, expect, it } from 'vitest';
import { PrimeCounter } from '../../src/worker/sieve/prime-counter.js';
import { PI_10K, TWINS_10K, mapLimited, primesieve, requirePrimesieve, sampleRanges } from '../support/primesieve.js';

describe('counting primes against primesieve', () => {
  // Each test fails, saying what to install, where the reference is missing.
  beforeEach(requirePrimesieve);
  const counter = new PrimeCounter();

  it('when primesieve counts twin pairs, then it counts a pair only with both members in the range, as the API says', () => {
    // (3,5) in [3,5]; (5,7) in [4,7]; none in [5,6]; (29,31) in [29,31] but not in [30,31].
    for (const [from, to, twins] of [[3, 5, 1], [4, 7, 1], [5, 6, 0], [5, 7, 1], [3, 7, 2], [29, 31, 1], [30, 31, 0], [0, 100, 8]]) {
      const counted = execFileSync('primesieve', [String(from), String(to), '-c2', '-q'], { encoding: 'utf8' });
      expect(Number(counted.trim()), `[${from}, ${to}]`).toBe(twins);
      expect(counter.count(from!, to!)!.twinPrimes).toBe(twins);
    }
  });

  it('when primesieve counts up to 10^k, then it agrees with the known π(10^k) and twin counts the unit tests use', async () => {
    for (let k = 1; k <= 9; k++) {
      expect(await primesieve(0, 10 ** k), `10^${k}`).toMatchObject({ primes: PI_10K[k - 1], twinPrimes: TWINS_10K[k - 1] });
    }
  });

  it('when counting hundreds of ranges of every kind, then primes, twin pairs, first and last prime agree with primesieve', async () => {
    const ranges = sampleRanges(20_261_202);
    expect(ranges.length).toBeGreaterThan(200);
    const expected = await mapLimited(ranges, 4, ([from, to]) => primesieve(from, to));
    ranges.forEach(([from, to], i) => expect(counter.count(from, to), `[${from}, ${to}]`).toEqual(expected[i]));
  });

  it('when a range is split between two tasks inside a twin pair, then the first task’s last prime and the second’s first prime show the pair', async () => {
    // 10^12 + 61 and 10^12 + 63 are twins (primesieve prints them); split between them.
    const [p, q] = execFileSync('primesieve', ['1000000000000', '1000000001000', '-p2'], { encoding: 'utf8' }).trim().split('\n')[0]!.replace(/[(),]/g, ' ').trim().split(/\s+/).map(Number);
    const whole = await primesieve(1e12, 1e12 + 1e6);
    const left = counter.count(1e12, p!)!;
    const right = counter.count(p! + 1, 1e12 + 1e6)!;
    expect([left.lastPrime, right.firstPrime]).toEqual([p, q]);
    const straddling = right.firstPrime! - left.lastPrime! === 2 ? 1 : 0;
    expect(left.twinPrimes + right.twinPrimes + straddling).toBe(whole.twinPrimes);
    expect(left.primes + right.primes).toBe(whole.primes);
  });
});
