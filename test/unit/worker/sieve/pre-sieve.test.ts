import { describe, expect, it } from 'vitest';
import { PRE_SIEVED, PreSieve } from '../../../../src/worker/sieve/pre-sieve.js';
import { RESIDUES } from '../../../../src/worker/sieve/wheel.js';

describe('pre-sieve', () => {
  it('when filling a segment anywhere, including across the pattern’s period, then exactly the multiples of 7 to 19 are cleared', () => {
    const preSieve = new PreSieve();
    const period = 7 * 11 * 13 * 17 * 19;
    for (const firstByte of [1, 12_345, period - 3, 7 * period + 5, 33_333_333_333_333]) {
      const segment = new Uint8Array(16);
      preSieve.fill(segment, firstByte, 16);
      for (let i = 0; i < 16; i++) {
        for (let bit = 0; bit < 8; bit++) {
          const n = (firstByte + i) * 30 + RESIDUES[bit]!;
          const divisible = PRE_SIEVED.some((p) => n % p === 0);
          expect(((segment[i]! >> bit) & 1) === 1, `${n}`).toBe(!divisible);
        }
      }
    }
  });
});
