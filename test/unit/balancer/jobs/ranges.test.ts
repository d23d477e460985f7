import { describe, expect, it } from 'vitest';
import { joinCounts, remainingRanges, type TaskCounts } from '../../../../src/balancer/jobs/ranges.js';

/** Primes below 60, to make task counts by hand. */
const PRIMES = [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n, 41n, 43n, 47n, 53n, 59n];

/** What a worker would answer for [from, to] (primes below 60 only). */
function count(from: bigint, to: bigint): TaskCounts {
  const inside = PRIMES.filter((p) => p >= from && p <= to);
  const twins = inside.filter((p) => inside.includes(p + 2n)).length;
  return { from, to, primes: BigInt(inside.length), twins: BigInt(twins), firstPrime: inside[0] ?? null, lastPrime: inside.at(-1) ?? null };
}

/** The whole range's counts, whichever way it is cut: the cut points are the ends of the tasks. */
function joinedAt(cuts: bigint[], from = 0n, to = 59n) {
  const ends = [...cuts, to];
  let start = from;
  const tasks = ends.map((end) => {
    const task = count(start, end);
    start = end + 1n;
    return task;
  });
  return joinCounts(tasks.reverse());
}

describe('joining task counts', () => {
  it('when the range is one task, then its counts are the result', () => {
    expect(joinedAt([])).toEqual({ primes: 17n, twins: 6n });
  });

  it.each([
    ['between the members of a twin pair', [4n]],
    ['on every number', Array.from({ length: 59 }, (_, i) => BigInt(i))],
    ['around the single number between a twin pair (a task with no prime)', [10n, 11n, 12n]],
    ['at the ends of several twin pairs', [17n, 29n, 41n, 58n]],
  ])('when tasks are cut %s, then the totals are those of the whole range', (_, cuts) => {
    expect(joinedAt(cuts)).toEqual({ primes: 17n, twins: 6n });
  });

  it('when a pair straddles the edge of the job range, then it is not counted', () => {
    // [0, 6]: 2, 3, 5 inside, (3, 5) inside, (5, 7) is not: 7 is outside.
    expect(joinedAt([2n], 0n, 6n)).toEqual({ primes: 3n, twins: 1n });
  });
});

describe('remaining ranges', () => {
  it('when nothing is done, then the whole range remains', () => {
    expect(remainingRanges({ from: 0n, to: 99n }, [])).toEqual([{ from: 0n, to: 99n }]);
  });

  it('when tasks finished out of order, then exactly the gaps between them remain', () => {
    const done = [
      { from: 50n, to: 59n },
      { from: 0n, to: 9n },
      { from: 10n, to: 19n },
      { from: 90n, to: 99n },
    ];
    expect(remainingRanges({ from: 0n, to: 99n }, done)).toEqual([
      { from: 20n, to: 49n },
      { from: 60n, to: 89n },
    ]);
  });

  it('when every task is done, then nothing remains', () => {
    expect(remainingRanges({ from: 5n, to: 9n }, [{ from: 5n, to: 9n }])).toEqual([]);
  });
});
