/** An inclusive range of whole numbers. */
export interface Range {
  from: bigint;
  to: bigint;
}

/** What a finished task found in its range: enough to join twin pairs across task boundaries. */
export interface TaskCounts {
  from: bigint;
  to: bigint;
  primes: bigint;
  twins: bigint;
  firstPrime: bigint | null;
  lastPrime: bigint | null;
}

/** How many numbers a range holds. */
export function span({ from, to }: Range): bigint {
  return to - from + 1n;
}

/**
 * The parts of [from, to] that no task has counted yet, in order. `done` may come in any order;
 * the tasks must not overlap (each number counted once), which the journal checks on replay.
 */
export function remainingRanges(whole: Range, done: readonly Range[]): Range[] {
  const sorted = [...done].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  const gaps: Range[] = [];
  let next = whole.from;
  for (const task of sorted) {
    if (task.from > next) gaps.push({ from: next, to: task.from - 1n });
    if (task.to + 1n > next) next = task.to + 1n;
  }
  if (next <= whole.to) gaps.push({ from: next, to: whole.to });
  return gaps;
}

/**
 * The counts of the whole range from its tasks' counts. A twin pair (p, p + 2) inside one task
 * is counted by that task; a pair split by a task boundary is found here, from the largest
 * prime before the boundary and the smallest after it. Tasks with no prime at all are passed
 * over, so a pair split across three tasks (around a task that is just p + 1) is found too.
 * `tasks` must cover the range without overlap.
 */
export function joinCounts(tasks: readonly TaskCounts[]): { primes: bigint; twins: bigint } {
  const sorted = [...tasks].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  let primes = 0n;
  let twins = 0n;
  let lastPrime: bigint | null = null;
  for (const task of sorted) {
    primes += task.primes;
    twins += task.twins;
    if (task.firstPrime === null) continue;
    if (lastPrime !== null && task.firstPrime - lastPrime === 2n) twins += 1n;
    lastPrime = task.lastPrime;
  }
  return { primes, twins };
}
