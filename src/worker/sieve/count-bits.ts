import { RESIDUES } from './wheel.js';

/**
 * Reading what a sieved segment holds. A set bit is a prime; a twin pair (p, p+2) with p > 5 is
 * one of 11·13, 17·19 (bits 2·3 and 4·5 of a byte) or 29·31 (bit 7 of a byte and bit 0 of the
 * next), so in the little-endian bit string every twin pair is two adjacent set bits whose lower
 * one is bit 2, 4 or 7 of its byte: `bits & (bits >> 1) & 0x9494…` marks one bit per pair (no
 * other two adjacent bits are 2 apart: 1·7, 7·11, 13·17, 19·23, 23·29 are not). The counting
 * itself, with popcount, is kernels/count-bits.wat.
 */
/** Whether the segment ending with byte `last` and the next starting with byte `first` share a twin pair (30k+29, 30k+31). */
export function crossesInto(last: number, first: number): boolean {
  return (last & 0x80) !== 0 && (first & 1) !== 0;
}

/** The smallest number marked prime in `segment[0, length)` (`firstByte` its wheel byte), or undefined. */
export function firstMarked(segment: Uint8Array, length: number, firstByte: number): number | undefined {
  for (let i = 0; i < length; i++) {
    const byte = segment[i]!;
    if (byte !== 0) return (firstByte + i) * 30 + RESIDUES[31 - Math.clz32(byte & -byte)]!;
  }
  return undefined;
}

/** The largest number marked prime in `segment[0, length)`, or undefined. */
export function lastMarked(segment: Uint8Array, length: number, firstByte: number): number | undefined {
  for (let i = length - 1; i >= 0; i--) {
    const byte = segment[i]!;
    if (byte !== 0) return (firstByte + i) * 30 + RESIDUES[31 - Math.clz32(byte)]!;
  }
  return undefined;
}
