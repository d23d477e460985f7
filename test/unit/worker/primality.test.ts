import { checkPrimeSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isPrime, isPrime64, isPrimeSmall, methodFor } from '../../../src/worker/primality.js';

/** The reference: a sieve of Eratosthenes. */
function sieve(limit: number): Uint8Array {
  const composite = new Uint8Array(limit + 1);
  composite[0] = 1;
  composite[1] = 1;
  for (let i = 2; i * i <= limit; i++) {
    if (!composite[i]) for (let j = i * i; j <= limit; j += i) composite[j] = 1;
  }
  return composite;
}

const LIMIT = 1_000_000;
const composite = sieve(LIMIT);

describe('primality against a sieve up to 10^6', () => {
  it('when checked by trial division, then every answer matches the sieve', () => {
    const wrong: number[] = [];
    for (let n = 0; n <= LIMIT; n++) if (isPrimeSmall(n) !== !composite[n]) wrong.push(n);
    expect(wrong).toEqual([]);
  });

  it('when checked by 64-bit Miller–Rabin, then every answer matches the sieve', () => {
    const wrong: number[] = [];
    for (let n = 0; n <= LIMIT; n++) if (isPrime64(BigInt(n)) !== !composite[n]) wrong.push(n);
    expect(wrong).toEqual([]);
  });
});

describe('isPrime', () => {
  it.each([
    ['2', 2n],
    ['524287 (2^19-1)', 524287n],
    ['6700417', 6700417n],
    ['2^31-1', 2n ** 31n - 1n],
    ['2^61-1', 2n ** 61n - 1n],
    ['2^64-59, the largest prime below 2^64', 2n ** 64n - 59n],
    ['2^89-1', 2n ** 89n - 1n],
    ['2^127-1', 2n ** 127n - 1n],
    ['2^521-1', 2n ** 521n - 1n],
  ])('when given the prime %s, then it says prime', async (_label, n) => {
    expect(await isPrime(n)).toBe(true);
  });

  it.each([
    ['0', 0n],
    ['1', 1n],
    ['561, a Carmichael number', 561n],
    ['41041, a Carmichael number', 41041n],
    ['3215031751, a strong pseudoprime to bases 2, 3, 5, 7', 3215031751n],
    ['3825123056546413051, a strong pseudoprime to the first nine prime bases', 3825123056546413051n],
    ['318665857834031151167461, a strong pseudoprime to the first twelve prime bases', 318665857834031151167461n],
    ['2^64+1', 2n ** 64n + 1n],
    ['(2^61-1)^2', (2n ** 61n - 1n) ** 2n],
    ['2^127-1 times 2^89-1', (2n ** 127n - 1n) * (2n ** 89n - 1n)],
    ['2^67-1, which Cole factored in 1903', 2n ** 67n - 1n],
  ])('when given the composite %s, then it says not prime', async (_label, n) => {
    expect(await isPrime(n)).toBe(false);
  });

  it('when given random numbers below 2^64, then it agrees with OpenSSL', async () => {
    const disagreements: bigint[] = [];
    for (let i = 0; i < 3000; i++) {
      // Odd numbers of every size, so that both the trial-division and Miller–Rabin ranges are hit.
      const bits = 2 + (i % 63);
      const n = (randomBytes(8).readBigUInt64BE() >> BigInt(64 - bits)) | 1n;
      if ((await isPrime(n)) !== checkPrimeSync(n)) disagreements.push(n);
    }
    expect(disagreements).toEqual([]);
  });

  it('when the number is small, large or huge, then the fastest exact method is chosen', () => {
    expect(methodFor(524287n)).toBe('trial_division');
    expect(methodFor(2n ** 61n - 1n)).toBe('miller_rabin_64');
    expect(methodFor(2n ** 64n)).toBe('openssl');
  });
});
