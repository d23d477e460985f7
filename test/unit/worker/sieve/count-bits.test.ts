import { describe, expect, it } from 'vitest';
import { crossesInto, firstMarked, lastMarked } from '../../../../src/worker/sieve/count-bits.js';
import { SieveCore } from '../../../../src/worker/sieve/sieve-core.js';
import { RESIDUES } from '../../../../src/worker/sieve/wheel.js';

/** A core whose segment holds exactly the numbers given (bytes of 30, from byte `first`). */
function segmentOf(numbers: number[], bytes: number, first = 0): SieveCore {
  const core = new SieveCore(64, 8);
  core.segment.fill(0);
  for (const n of numbers) core.segment[Math.floor(n / 30) - first]! |= 1 << RESIDUES.indexOf(n % 30);
  expect(core.segment.subarray(bytes).every((b) => b === 0)).toBe(true);
  return core;
}

describe('counting a sieved segment', () => {
  it('when twin pairs lie in one byte or across bytes and 64-bit words, then each is counted once', () => {
    // 11·13 and 17·19 in byte 0; 29·31 across bytes 0 and 1; 239·241 across the first word's
    // last byte (7) and the second's first; 41·43 and 59·61.
    const marked = [11, 13, 17, 19, 29, 31, 41, 43, 59, 61, 239, 241];
    expect(segmentOf(marked, 16).countSegment(16)).toEqual({ primes: 12, twins: 6 });
  });

  it('when primes are 4 or 6 apart, then they are not twins', () => {
    // 1·7 is 6 apart, 7·11 and 13·17 are 4, 19·23 is 4, 23·29 is 6: only 11·13 and 17·19.
    expect(segmentOf([7, 11, 13, 17, 19, 23, 29], 1).countSegment(1)).toEqual({ primes: 7, twins: 2 });
  });

  it('when a segment ends part-way through a word, then clearTail leaves nothing past its end to count', () => {
    const core = new SieveCore(64, 8);
    core.segment.fill(0xff);
    core.clearTail(10);
    // Then the segment's bytes are written (0..7 are still set): every bit of 10 bytes is 80
    // primes, 2 twin pairs in each byte and 9 across neighbouring bytes.
    core.segment.fill(0xff, 0, 10);
    expect(core.countSegment(10)).toEqual({ primes: 80, twins: 29 });
  });

  it('when a pair straddles two segments, then crossesInto sees it', () => {
    expect(crossesInto(0x80, 0x01)).toBe(true);
    expect(crossesInto(0x7f, 0x01)).toBe(false);
    expect(crossesInto(0x80, 0xfe)).toBe(false);
  });

  it('when looking for the first and last marked number, then they are read from the lowest and highest set bits', () => {
    const bytes = segmentOf([3007, 3013, 3089], 8, 100).segment;
    expect(firstMarked(bytes, 8, 100)).toBe(3007);
    expect(lastMarked(bytes, 8, 100)).toBe(3089);
    expect(firstMarked(new Uint8Array(8), 8, 0)).toBeUndefined();
    expect(lastMarked(new Uint8Array(8), 8, 0)).toBeUndefined();
  });
});
