import { CLEAR, CORRECTION, GAPS, nextWheelIndex, wheelIndex } from './wheel.js';

/**
 * Pre-sieving: the multiples of 7, 11, 13, 17 and 19 repeat every 7·11·13·17·19 = 323323 bytes
 * of the wheel, so that pattern is made once and copied into each segment instead of crossing
 * them off one by one. Those five, the densest, would otherwise make 23 % of all the crossing
 * off for numbers near 10^12 (Σ 1/p over them against over 7..10^6); a copy costs a memcpy. 23 as well would make the pattern 7 MB,
 * too large to stay in cache.
 */
export const PRE_SIEVED = [7, 11, 13, 17, 19] as const;

/** The largest pre-sieved prime: sieving primes start after it. */
export const LARGEST_PRE_SIEVED = 19;

const PERIOD = 7 * 11 * 13 * 17 * 19;

export class PreSieve {
  private readonly pattern = new Uint8Array(PERIOD).fill(0xff);

  constructor() {
    for (const p of PRE_SIEVED) {
      // p < 30: its first multiple (p itself) is in byte 0; a = 0, so steps are corrections only.
      let w = wheelIndex(p, 1);
      const a = (p - (p % 30)) / 30;
      for (let i = 0; i < PERIOD; ) {
        this.pattern[i]! &= CLEAR[w]!;
        i += GAPS[w & 7]! * a + CORRECTION[w]!;
        w = nextWheelIndex(w);
      }
    }
  }

  /**
   * Fills `segment[0, length)` with the pattern as it lies at wheel byte `firstByte`. The
   * numbers 7 to 19 themselves, in byte 0, come out crossed off: the caller puts them back.
   */
  fill(segment: Uint8Array, firstByte: number, length: number): void {
    let at = firstByte % PERIOD;
    let filled = 0;
    while (filled < length) {
      const n = Math.min(length - filled, PERIOD - at);
      segment.set(this.pattern.subarray(at, at + n), filled);
      filled += n;
      at = 0;
    }
  }
}
