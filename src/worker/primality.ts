import { checkPrime } from 'node:crypto';

/**
 * Primality with the fastest exact method per size:
 * - below 2^27, trial division by 6k±1 (at most ~2k steps; measured faster than BigInt
 *   Miller–Rabin up to about there);
 * - below 2^64, Miller–Rabin with the seven bases of Jaeschke/Sinclair, which is
 *   deterministic (no composite below 2^64 passes all seven);
 * - above, OpenSSL's Miller–Rabin through `crypto.checkPrime`, which runs on libuv's thread
 *   pool so that the event loop stays free for health checks. 64 rounds with random bases
 *   bound the error by 4^-64 = 2^-128 for any input, adversarial ones included.
 */
export const OPENSSL_ROUNDS = 64;

const TRIAL_DIVISION_LIMIT = 2n ** 27n;
const TWO_64 = 2n ** 64n;
const DETERMINISTIC_64_BIT_BASES = [2n, 325n, 9375n, 28178n, 450775n, 9780504n, 1795265022n];

export type PrimalityMethod = 'trial_division' | 'miller_rabin_64' | 'openssl';

export function methodFor(n: bigint): PrimalityMethod {
  if (n < TRIAL_DIVISION_LIMIT) return 'trial_division';
  if (n < TWO_64) return 'miller_rabin_64';
  return 'openssl';
}

export async function isPrime(n: bigint): Promise<boolean> {
  switch (methodFor(n)) {
    case 'trial_division':
      return isPrimeSmall(Number(n));
    case 'miller_rabin_64':
      return isPrime64(n);
    case 'openssl':
      return checkPrimeAsync(n);
  }
}

/** Exact for 0 <= n < 2^53 (used below 2^27). */
export function isPrimeSmall(n: number): boolean {
  if (n < 2) return false;
  if (n < 4) return true;
  if (n % 2 === 0 || n % 3 === 0) return false;
  for (let d = 5; d * d <= n; d += 6) {
    if (n % d === 0 || n % (d + 2) === 0) return false;
  }
  return true;
}

/** Deterministic Miller–Rabin, exact for 0 <= n < 2^64. */
export function isPrime64(n: bigint): boolean {
  if (n < 2n) return false;
  for (const p of [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n]) {
    if (n === p) return true;
    if (n % p === 0n) return false;
  }
  let d = n - 1n;
  let s = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    s += 1;
  }
  for (const base of DETERMINISTIC_64_BIT_BASES) {
    const a = base % n;
    if (a === 0n) continue;
    if (!passesRound(a, d, s, n)) return false;
  }
  return true;
}

function passesRound(a: bigint, d: bigint, s: number, n: bigint): boolean {
  let x = modPow(a, d, n);
  if (x === 1n || x === n - 1n) return true;
  for (let i = 1; i < s; i++) {
    x = (x * x) % n;
    if (x === n - 1n) return true;
  }
  return false;
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

function checkPrimeAsync(n: bigint): Promise<boolean> {
  return new Promise((resolve, reject) => {
    checkPrime(n, { checks: OPENSSL_ROUNDS }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}
