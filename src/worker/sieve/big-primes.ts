import type { SieveCore } from './sieve-core.js';

/**
 * Crossing off for primes much larger than a segment (primesieve's EratBig, after Tomás
 * Oliveira e Silva's bucket sieve): such a prime hits a segment rarely, so instead of visiting
 * every one in every segment, each waits in the list of the segment where its next multiple
 * lies. A segment then touches only the primes that hit it: work in proportion to the bits
 * cleared, not to the number of sieving primes (1.9 million below √10^15).
 *
 * The lists form a ring, one per segment ahead, as many as the longest step of the largest
 * prime spans. Each list is a chain of fixed-size blocks from one pool in the kernels' memory,
 * so memory follows the number of primes waiting (8 bytes each), not the longest any list
 * ever was. The crossing off and filing is kernels/big-primes.wat; this keeps the ring's place
 * and the memory the pool may need.
 */
export class BucketSieve {
  private ring = 0;
  private slots = 1;
  private current = 0;
  private shift = 0;
  private firstBlock = 0;
  private added = 0;

  constructor(private readonly core: SieveCore) {}

  /** Empties the ring for a task with segments of 2^segmentShift bytes and primes up to maxPrime. */
  reset(segmentShift: number, maxPrime: number): void {
    this.shift = segmentShift;
    // The longest step is 6 numbers of p·q apart: 6p / 30 bytes, plus one for the correction.
    const segmentsAhead = Math.ceil((maxPrime / 5 + 1) / 2 ** segmentShift) + 1;
    this.slots = 1;
    while (this.slots <= segmentsAhead) this.slots *= 2;
    this.ring = this.core.bucketsAt;
    this.firstBlock = this.ring + 8 * this.slots;
    this.core.reserve(this.firstBlock);
    this.core.zero(this.ring, 8 * this.slots);
    this.core.startBuckets(this.firstBlock);
    this.current = 0;
    this.added = 0;
  }

  /**
   * A prime whose next multiple is `offset` bytes past the start of the current segment. May
   * grow the kernels' memory: read the core's views again after adding.
   */
  add(p: number, offset: number, wheel: number): void {
    // Blocks in use at once: one per 1024 primes, one part-filled per slot, and while a slot
    // is crossed off its own blocks beside those its primes move to. Twice that is kept free.
    if (this.added % BLOCK === 0) this.core.reserve(this.firstBlock + BLOCK_BYTES * (2 * (this.added / BLOCK + 1) + 2 * this.slots + 2));
    this.added += 1;
    const size = 1 << this.shift;
    this.core.bucketPush(this.ring, (this.current + (offset >>> this.shift)) & (this.slots - 1), p, ((offset & (size - 1)) << 6) | wheel);
  }

  /** Crosses off in the current segment (bytes [0, end)) and moves the ring on to the next. */
  crossOff(end: number): void {
    this.core.crossOffBig(end, this.ring, this.current, this.slots - 1, this.shift);
    this.current = (this.current + 1) & (this.slots - 1);
  }
}

/** Entries per block, and a block's size: its link to the next, then the entries (as in big-primes.wat). */
const BLOCK = 1024;
const BLOCK_BYTES = 8 + 8 * BLOCK;
