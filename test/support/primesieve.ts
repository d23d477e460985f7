/**
 * primesieve, the reference the prime counts are tested against, the ranges they are tested
 * on, and the known counts below powers of ten.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { MAX_TO } from '../../src/worker/count-range.js';
import type { RangeCount } from '../../src/worker/sieve/prime-counter.js';

/** π(10^k) and the twin pairs below 10^k, k = 1..9 (count-primes.test.ts checks them with primesieve). */
export const PI_10K = [4, 25, 168, 1229, 9592, 78498, 664579, 5761455, 50847534];
export const TWINS_10K = [2, 8, 35, 205, 1224, 8169, 58980, 440312, 3424506];

/**
 * The reference: primesieve (Kim Walisch's), run as a program. It counts a twin pair when both
 * members lie in [from, to], as we do (count-primes.test.ts checks that on ranges small enough
 * to check by hand). A narrow range is printed whole, one call; a wide one is counted, and its
 * ends printed.
 */
export async function primesieve(from: number, to: number): Promise<RangeCount> {
  if (to - from <= 100_000) return fromList(await print(from, to));
  // The largest prime gap below 2^64 is 1550: a window of 5000 at either end holds the first
  // and the last prime of any range wider than that.
  const [counts, head, tail] = await Promise.all([run(from, to, '-c1', '-c2', '-q'), print(from, from + 5000), print(to - 5000, to)]);
  return {
    primes: Number(/^Primes: (\d+)$/m.exec(counts)?.[1]),
    twinPrimes: Number(/^Twin primes: (\d+)$/m.exec(counts)?.[1]),
    firstPrime: head[0] ?? null,
    lastPrime: tail.pop() ?? null,
  };
}

async function run(from: number, to: number, ...options: string[]): Promise<string> {
  return (await promisify(execFile)('primesieve', [String(from), String(to), ...options], { encoding: 'utf8' })).stdout;
}

async function print(from: number, to: number): Promise<number[]> {
  const out = (await run(from, to, '-p')).trim();
  return out === '' ? [] : out.split('\n').map(Number);
}

/** Maps with at most `limit` calls at once (process starts overlap; counting does not wait for them). */
export async function mapLimited<T, R>(items: T[], limit: number, map: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await map(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: limit }, lane));
  return results;
}

function fromList(primes: number[]): RangeCount {
  const twinPrimes = primes.filter((p, i) => primes[i + 1] === p + 2).length;
  return { primes: primes.length, twinPrimes, firstPrime: primes[0] ?? null, lastPrime: primes.at(-1) ?? null };
}

/** Fails, saying how to get it, where primesieve is missing: these tests must not pass without their reference. */
export function requirePrimesieve(): void {
  try {
    execFileSync('primesieve', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('primesieve, the reference these tests compare counts with, is not installed: apt-get install primesieve');
  }
}

/** mulberry32: a seeded generator, so that a failing range can be found again. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Ranges of every kind the sieve treats differently, from a seed. */
export function sampleRanges(seed: number): Array<[number, number]> {
  const next = random(seed);
  const int = (max: number): number => Math.floor(next() * (max + 1));
  const logUniform = (max: number): number => Math.floor(Math.exp(next() * Math.log(max + 1))) - 1;
  const ranges: Array<[number, number]> = [];
  const add = (start: number, span: number): void => {
    const from = Math.max(0, start);
    const to = Math.min(MAX_TO, from + span);
    ranges.push([Math.min(from, to), to]);
  };
  // The edges: 0, 1, 2, 3 and the small primes the sieve adds by hand.
  for (const [from, to] of [[0, 0], [0, 1], [0, 2], [1, 3], [2, 2], [3, 3], [3, 5], [4, 7], [5, 6], [0, 29], [7, 7], [29, 31], [30, 31]]) ranges.push([from!, to!]);
  for (let i = 0; i < 60; i++) add(int(1_000_000), logUniform(100_000));
  for (let i = 0; i < 80; i++) add(logUniform(1e12), logUniform(10_000_000));
  // Inside one segment (7,864,320 numbers at the default size), and across a segment seam.
  for (let i = 0; i < 20; i++) add(int(1e9), int(1000));
  for (let i = 0; i < 20; i++) add(7_864_320 * (1 + int(1000)) - int(50_000), int(100_000));
  // Across a prime's square: the prime starts crossing off there.
  for (const p of [23, 29, 31, 97, 65_537, 999_983, 31_622_743]) add(p * p - int(1000), int(2000));
  // Near 10^15 and near 2^53, small spans (each task there sets up millions of sieving primes).
  for (let i = 0; i < 6; i++) add(1e15 - 1e9 + int(2e9), logUniform(1_000_000));
  for (let i = 0; i < 3; i++) add(MAX_TO - int(1e9), logUniform(100_000));
  add(MAX_TO - 10_000, 10_000);
  return ranges;
}

