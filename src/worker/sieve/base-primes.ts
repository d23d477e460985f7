/**
 * The sieving primes: every prime up to some limit, kept between tasks and grown when a task
 * needs larger ones (a task up to `to` needs those up to √to). One object per sieving thread.
 */
export class BasePrimes {
  private primes: Uint32Array;
  private count: number;
  private limit: number;

  constructor(initialLimit = 1 << 16) {
    this.primes = sieveSmall(Math.max(initialLimit, SEED_LIMIT));
    this.count = this.primes.length;
    this.limit = Math.max(initialLimit, SEED_LIMIT);
  }

  /** Every prime ≤ n, ascending (a view: valid until the next call). n ≤ 2^27. */
  upTo(n: number): Uint32Array {
    if (n > MAX_LIMIT) throw new RangeError(`base primes go up to ${MAX_LIMIT}, not ${n}`);
    if (n > this.limit) this.grow(Math.min(MAX_LIMIT, Math.max(n, this.limit * 2)));
    return this.primes.subarray(0, upperBound(this.primes, this.count, n));
  }

  /** Sieves the odd numbers of (limit, target] in chunks with the primes below 2^16, which reach every n < 2^32. */
  private grow(target: number): void {
    // π(x) < 1.25506 x / ln x (Rosser and Schoenfeld): room for every prime up to target.
    const grown = new Uint32Array(Math.ceil((1.25506 * target) / Math.log(target)));
    grown.set(this.primes.subarray(0, this.count));
    let count = this.count;
    const chunk = new Uint8Array(CHUNK);
    // chunk[j] stands for low + 2j.
    for (let low = this.limit + 1 + (this.limit % 2); low <= target; low += 2 * CHUNK) {
      const high = Math.min(target, low + 2 * CHUNK - 2);
      chunk.fill(1);
      for (let i = 1; i < this.count; i++) {
        const p = this.primes[i]! | 0;
        if (p * p > high) break;
        let start = Math.max(p * p, Math.ceil(low / p) * p);
        if ((start & 1) === 0) start += p;
        for (let j = (start - low) >>> 1; j < CHUNK; j += p) chunk[j] = 0;
      }
      const last = (high - low) >>> 1;
      for (let j = 0; j <= last; j++) if (chunk[j] === 1) grown[count++] = low + 2 * j;
    }
    this.primes = grown;
    this.count = count;
    this.limit = target;
  }
}

/** The primes below 2^16 sieve any number below 2^32; base primes never need more (√(2^53) < 2^27). */
const SEED_LIMIT = 1 << 16;
/** Beyond √(2^53), which is all a task can need; keeps every product below 2^53. */
const MAX_LIMIT = 2 ** 27;
const CHUNK = 1 << 18;

/** Every prime ≤ n by the plain sieve of Eratosthenes (n small). */
export function sieveSmall(n: number): Uint32Array {
  const composite = new Uint8Array(n + 1);
  const primes: number[] = [];
  for (let i = 2; i <= n; i++) {
    if (composite[i]) continue;
    primes.push(i);
    for (let m = i * i; m <= n; m += i) composite[m] = 1;
  }
  return Uint32Array.from(primes);
}

/** Index of the first element of sorted[0, length) greater than n. */
function upperBound(sorted: Uint32Array, length: number, n: number): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= n) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
