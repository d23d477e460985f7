import { joinCounts, span } from './ranges.js';
import type { JobRecord } from './journal-types.js';
import { toTaskCounts } from './task-record.js';

/** What the runner knows of a running job beyond its record. */
export interface LiveProgress {
  /** Tasks on workers now. */
  running: number;
  /** Numbers not handed out yet, and the span tasks are cut to now. */
  pendingNumbers: bigint;
  pendingSpan: bigint;
}

/**
 * The `<job>` of the HTTP contract. `tasks_total` is an estimate while the job runs (tasks are
 * sized as it goes); `fraction` is exact: the share of the range's numbers counted. `servers`
 * is how many tasks each worker counted.
 */
export function describeJob(record: JobRecord, live: LiveProgress | undefined): Record<string, unknown> {
  const whole = { from: BigInt(record.from), to: BigInt(record.to) };
  let counted = 0n;
  const servers: Record<string, number> = {};
  for (const task of record.tasks) {
    counted += span({ from: BigInt(task.from), to: BigInt(task.to) });
    servers[task.server] = (servers[task.server] ?? 0) + 1;
  }
  const done = record.tasks.length;
  const left = live ? live.running + (live.pendingSpan > 0n ? Number((live.pendingNumbers + live.pendingSpan - 1n) / live.pendingSpan) : 0) : 0;
  const fraction = record.status === 'done' ? 1 : Number((counted * 1_000_000n) / span(whole)) / 1_000_000;
  const result = record.status === 'done' ? joinCounts(record.tasks.map(toTaskCounts)) : undefined;
  return {
    id: record.id,
    kind: record.kind,
    from: record.from,
    to: record.to,
    status: record.status,
    progress: { tasks_done: done, tasks_total: done + left, fraction },
    result: result ? { primes: String(result.primes), twin_primes: String(result.twins) } : null,
    servers,
    retries: record.retries,
    error: record.error,
    created_at: iso(record.createdAt),
    started_at: iso(record.startedAt),
    finished_at: iso(record.finishedAt),
  };
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
