/** The answers by the definitions, for small ranges: what the sieve is checked against. */
export interface Expected {
  primes: number;
  twinPrimes: number;
  firstPrime: number | null;
  lastPrime: number | null;
}

export function isPrimeByTrialDivision(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

export function countByDefinition(from: number, to: number): Expected {
  const result: Expected = { primes: 0, twinPrimes: 0, firstPrime: null, lastPrime: null };
  for (let n = from; n <= to; n++) {
    if (!isPrimeByTrialDivision(n)) continue;
    result.primes += 1;
    result.firstPrime ??= n;
    result.lastPrime = n;
    if (n + 2 <= to && isPrimeByTrialDivision(n + 2)) result.twinPrimes += 1;
  }
  return result;
}
