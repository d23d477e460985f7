import type { TaskCounts } from './ranges.js';
import type { TaskRecord } from './journal-types.js';

/** A task's counts as the journal keeps them: decimal strings, as in JSON. */
export function toTaskRecord(task: TaskCounts & { server: string; elapsedMs: number }): TaskRecord {
  return {
    from: String(task.from),
    to: String(task.to),
    primes: String(task.primes),
    twins: String(task.twins),
    firstPrime: task.firstPrime === null ? null : String(task.firstPrime),
    lastPrime: task.lastPrime === null ? null : String(task.lastPrime),
    server: task.server,
    elapsedMs: task.elapsedMs,
  };
}

/** The counts of a recorded task, for joining. */
export function toTaskCounts(task: TaskRecord): TaskCounts {
  return {
    from: BigInt(task.from),
    to: BigInt(task.to),
    primes: BigInt(task.primes),
    twins: BigInt(task.twins),
    firstPrime: task.firstPrime === null ? null : BigInt(task.firstPrime),
    lastPrime: task.lastPrime === null ? null : BigInt(task.lastPrime),
  };
}
