import { KERNELS_WASM } from './kernels/kernels.js';
import { SievingPrimes } from './sieving-primes.js';
import { CLEAR, CORRECTION, GAPS, TURN_CORRECTIONS, TURN_GAPS, TURN_MASKS } from './wheel.js';

/**
 * The sieve's inner loops as WebAssembly (kernels/*.wat), with the memory they work in: the
 * wheel tables, the segment, the small and medium sieving primes, and the big primes' buckets.
 * Compiled code without a bounds check per byte and with a popcount instruction: near 10^12 the
 * same loops in TypeScript took about 3 times primesieve's time, these about 1.5 (bench/sieve.ts).
 *
 * Memory layout (bytes): the tables at 0 (where the .wat files expect them), the segment at 4096
 * (with 16 bytes of zeros after it: the counting reads whole 64-bit words), the small primes'
 * arrays, the medium primes', then the buckets (big-primes.ts), which grow the memory as they
 * need. Growing it moves it: `segment`, `small` and `medium` are then made anew, so read them
 * again after `reserve`.
 */
export class SieveCore {
  segment: Uint8Array;
  small: SievingPrimes;
  medium: SievingPrimes;
  /** Where the buckets start. */
  readonly bucketsAt: number;
  private readonly memory: WebAssemblyMemory;
  private readonly kernels: Kernels;
  private readonly smallAt: number;
  private readonly mediumAt: number;

  /** `primesPerList`: the most primes the small or the medium list will ever hold. */
  constructor(
    private readonly segmentBytes: number,
    primesPerList: number,
  ) {
    const listBytes = SievingPrimes.bytes(primesPerList);
    this.smallAt = SEGMENT_AT + segmentBytes + 16;
    this.mediumAt = this.smallAt + listBytes;
    this.bucketsAt = this.mediumAt + listBytes;
    this.memory = new wasm.Memory({ initial: Math.ceil(this.bucketsAt / PAGE) + 1 });
    const module = new wasm.Module(Buffer.from(KERNELS_WASM, 'base64'));
    this.kernels = new wasm.Instance(module, { env: { memory: this.memory } }).exports as Kernels;
    const tables = new Uint8Array(this.memory.buffer);
    tables.set(TURN_GAPS, 0);
    tables.set(TURN_CORRECTIONS, 512);
    tables.set(TURN_MASKS, 1024);
    tables.set(CLEAR, 1536);
    tables.set(CORRECTION, 1600);
    tables.set(GAPS, 1664);
    this.segment = new Uint8Array(this.memory.buffer, SEGMENT_AT, this.segmentBytes + 16);
    this.small = new SievingPrimes(this.memory.buffer, this.smallAt, primesPerList);
    this.medium = new SievingPrimes(this.memory.buffer, this.mediumAt, primesPerList);
  }

  /** Makes the memory at least `bytes` long; views made before are stale after it grew. */
  reserve(bytes: number): void {
    const missing = bytes - this.memory.buffer.byteLength;
    if (missing <= 0) return;
    this.memory.grow(Math.ceil(missing / PAGE));
    const { buffer } = this.memory;
    this.segment = new Uint8Array(buffer, SEGMENT_AT, this.segmentBytes + 16);
    this.small = this.small.movedTo(buffer);
    this.medium = this.medium.movedTo(buffer);
  }

  /** Zeros `bytes` bytes from `at`. */
  zero(at: number, bytes: number): void {
    new Uint8Array(this.memory.buffer, at, bytes).fill(0);
  }

  /** Starts a segment of `length` bytes: zeros from the last whole word on, for the counting. */
  clearTail(length: number): void {
    this.segment.fill(0, length & ~7);
  }

  crossOffSmall(end: number): void {
    const { prime, offset, wheel, length } = this.small;
    this.kernels.crossOffSmall(SEGMENT_AT, end, prime.byteOffset, offset.byteOffset, wheel.byteOffset, length);
  }

  crossOffMedium(end: number): void {
    const { prime, offset, wheel, length } = this.medium;
    this.kernels.crossOffMedium(SEGMENT_AT, end, prime.byteOffset, offset.byteOffset, wheel.byteOffset, length);
  }

  /** The bucket kernels (big-primes.ts and big-primes.wat say how they work). */
  startBuckets(firstBlock: number): void {
    this.kernels.free.value = 0;
    this.kernels.bump.value = firstBlock;
  }

  bucketPush(ring: number, slot: number, p: number, packed: number): void {
    this.kernels.bucketPush(ring, slot, p, packed);
  }

  crossOffBig(end: number, ring: number, slot: number, mask: number, shift: number): void {
    this.kernels.crossOffBig(SEGMENT_AT, end, ring, slot, mask, shift);
  }

  /** Primes and twin pairs in the segment's first `length` bytes (pairs reaching past them not included). */
  countSegment(length: number): { primes: number; twins: number } {
    const [primes, twins] = this.kernels.countSegment(SEGMENT_AT, (length + 7) >>> 3);
    return { primes, twins };
  }
}

type CrossOff = (segment: number, end: number, primes: number, offsets: number, wheels: number, count: number) => void;

interface Kernels {
  crossOffSmall: CrossOff;
  crossOffMedium: CrossOff;
  crossOffBig(segment: number, end: number, ring: number, slot: number, mask: number, shift: number): void;
  bucketPush(ring: number, slot: number, p: number, packed: number): void;
  countSegment(words: number, count: number): [number, number];
  free: { value: number };
  bump: { value: number };
}

/** The part of the platform's WebAssembly API used here (Node's type declarations lack it). */
interface WebAssemblyMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WebAssemblyApi {
  Memory: new (descriptor: { initial: number }) => WebAssemblyMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

const PAGE = 65_536;
const SEGMENT_AT = 4096;
