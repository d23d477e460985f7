import { describe, expect, it } from 'vitest';
import { CLEAR, CORRECTION, GAPS, RESIDUES, bitOf, mod30, nextCoprime, nextWheelIndex, wheelIndex } from '../../../../src/worker/sieve/wheel.js';

describe('modulo-30 wheel', () => {
  it('when a number is coprime to 30, then it has a bit of its own; otherwise none', () => {
    for (let n = 0; n < 90; n++) {
      const coprime = n % 2 !== 0 && n % 3 !== 0 && n % 5 !== 0;
      expect(bitOf(n)).toBe(coprime ? RESIDUES.indexOf(n % 30) : -1);
    }
  });

  it('when stepping to the next coprime number, then nothing coprime is skipped', () => {
    expect([0, 1, 2, 8, 28, 29, 30, 31].map(nextCoprime)).toEqual([1, 1, 7, 11, 29, 29, 31, 31]);
    expect(Array.from(GAPS).reduce((a, b) => a + b)).toBe(30);
  });

  it('when a prime walks the wheel tables, then it lands on exactly its multiples coprime to 30, bit by bit', () => {
    for (const p of [7, 11, 13, 17, 19, 23, 29, 31, 37, 59, 97, 331, 1_000_003]) {
      const a = Math.floor(p / 30);
      let q = p;
      let byte = Math.floor((p * q) / 30);
      let w = wheelIndex(p, q);
      for (let step = 0; step < 20; step++) {
        const m = p * q;
        expect(byte).toBe(Math.floor(m / 30));
        expect(CLEAR[w]).toBe(~(1 << bitOf(m)) & 0xff);
        byte += GAPS[w & 7]! * a + CORRECTION[w]!;
        w = nextWheelIndex(w);
        q = nextCoprime(q + 1);
      }
    }
  });
});

describe('mod30', () => {
  it('when n is anywhere below 2^53, then mod30 is exact, also where n / 30 rounds up to a whole number', () => {
    for (const n of [0, 29, 30, 2 ** 31 + 7, 1e15 - 1, 2 ** 53 - 1, 2 ** 53 - 2, 9007199254740969]) {
      expect(mod30(n), String(n)).toBe(Number(BigInt(n) % 30n));
    }
  });
});
