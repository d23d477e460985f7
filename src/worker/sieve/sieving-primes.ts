import { nextCoprime, wheelIndex } from './wheel.js';

/**
 * Sieving primes with where each crosses off next: `offset` bytes from the start of the
 * current segment, at wheel index `wheel`. Struct of arrays in the kernels' memory (the
 * kernels read and update them), reused across tasks (`clear` keeps the memory).
 */
export class SievingPrimes {
  length = 0;
  readonly prime: Int32Array;
  readonly offset: Int32Array;
  readonly wheel: Uint8Array;

  /** Room for `capacity` primes in `buffer` from `byteOffset` (a multiple of 4): 9 bytes each. */
  constructor(
    buffer: ArrayBufferLike,
    private readonly byteOffset: number,
    readonly capacity: number,
  ) {
    this.prime = new Int32Array(buffer, byteOffset, capacity);
    this.offset = new Int32Array(buffer, byteOffset + 4 * capacity, capacity);
    this.wheel = new Uint8Array(buffer, byteOffset + 8 * capacity, capacity);
  }

  /**
   * The same primes, in `buffer` now (a WebAssembly memory that grew: the views on the old
   * buffer are detached, their byteOffset 0).
   */
  movedTo(buffer: ArrayBufferLike): SievingPrimes {
    const moved = new SievingPrimes(buffer, this.byteOffset, this.capacity);
    moved.length = this.length;
    return moved;
  }

  /** Bytes the arrays take for `capacity` primes, rounded up to a multiple of 8. */
  static bytes(capacity: number): number {
    return Math.ceil((9 * capacity) / 8) * 8;
  }

  clear(): void {
    this.length = 0;
  }

  add(p: number, offset: number, wheel: number): void {
    if (this.length === this.capacity) throw new RangeError(`more than ${this.capacity} sieving primes in one list`);
    this.prime[this.length] = p;
    this.offset[this.length] = offset;
    this.wheel[this.length] = wheel;
    this.length += 1;
  }
}

/** Where a prime first crosses off at or after a number: a byte offset and a wheel index. */
export interface FirstMultiple {
  offset: number;
  wheel: number;
}

/**
 * The first multiple p·q of prime p (> 5) that is at least `low` (a multiple of 30) and at
 * least p² (smaller multiples have a smaller factor, which crosses them off), with q coprime to
 * 30: its byte offset from `low / 30` and its wheel index. All arithmetic stays below p² or
 * `low`, so it is exact for every `low` < 2^53.
 */
export function firstMultiple(p: number, low: number, out: FirstMultiple): FirstMultiple {
  let q: number;
  let fromLow: number;
  if (p * p >= low) {
    q = p;
    fromLow = p * p - low;
  } else {
    const rest = remainder(low, p);
    const q0 = (low - rest) / p + (rest > 0 ? 1 : 0);
    q = nextCoprime(q0);
    fromLow = (rest > 0 ? p - rest : 0) + p * (q - q0);
  }
  out.offset = Math.floor(fromLow / 30);
  out.wheel = wheelIndex(p, q);
  return out;
}

/**
 * low mod p without `%`, which V8 sends to the C library's fmod for numbers past 2^31, many
 * times slower. The rounded quotient is off by at most one; one less than it is never too
 * large, so its product with p stays at most `low` (exact below 2^53), and the remainder
 * comes out below 3p.
 */
function remainder(low: number, p: number): number {
  let rest = low - (Math.floor(low / p) - 1) * p;
  while (rest >= p) rest -= p;
  return rest;
}
