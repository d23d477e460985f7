import { span } from './ranges.js';
import type { JobRecord } from './journal-types.js';

/** What the runner knows of a running job beyond its record. */
export interface LiveProgress {
  /** Tasks on workers now. */
  running: number;
  /** Numbers not handed out yet, and the span tasks are cut to now. */
  pendingNumbers: bigint;
  pendingSpan: bigint;
}

export type JobView = (record: JobRecord, live: LiveProgress | undefined) => Record<string, unknown>;

/**
 * The `<job>` of the HTTP contract. `tasks_total` is an estimate while the job runs (tasks are
 * sized as it goes); `fraction` is exact: the share of the range's numbers counted. `servers`
 * is how many tasks each worker counted. A running job's tasks are added up as they come and
 * kept, so that GET /jobs and the status page (which polls it every second) cost the tasks
 * finished since the last look, not every task of every job kept.
 */
export function createJobView(): JobView {
  const summaries = new WeakMap<JobRecord, Summary>();
  return (record, live) => describeJob(record, live, summaryOf(summaries, record));
}

function describeJob(record: JobRecord, live: LiveProgress | undefined, summary: Summary): Record<string, unknown> {
  const whole = { from: BigInt(record.from), to: BigInt(record.to) };
  const { counted, done } = summary;
  const servers = { ...summary.servers };
  const left = live ? live.running + (live.pendingSpan > 0n ? Number((live.pendingNumbers + live.pendingSpan - 1n) / live.pendingSpan) : 0) : 0;
  const fraction = record.status === 'done' ? 1 : Number((counted * 1_000_000n) / span(whole)) / 1_000_000;
  const result = summary.result;
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

/** What a job's tasks add up to so far: tasks are only ever appended to a record, so each is added once. */
interface Summary {
  /** Tasks of the record added in. */
  seen: number;
  done: number;
  counted: bigint;
  servers: Record<string, number>;
  /** The whole range's counts, once the job is done. */
  result: { primes: bigint; twins: bigint } | undefined;
}

function summaryOf(summaries: WeakMap<JobRecord, Summary>, record: JobRecord): Summary {
  // An ended job's tasks are folded into its totals (job-totals.ts), joined once there.
  const { totals } = record;
  if (totals) {
    const result = totals.primes !== null && totals.twins !== null ? { primes: BigInt(totals.primes), twins: BigInt(totals.twins) } : undefined;
    return { seen: 0, done: totals.tasks, counted: BigInt(totals.counted), servers: totals.servers, result };
  }
  let summary = summaries.get(record);
  if (summary === undefined || summary.seen > record.tasks.length) {
    summary = { seen: 0, done: 0, counted: 0n, servers: {}, result: undefined };
    summaries.set(record, summary);
  }
  for (; summary.seen < record.tasks.length; summary.seen += 1) {
    const task = record.tasks[summary.seen]!;
    summary.counted += span({ from: BigInt(task.from), to: BigInt(task.to) });
    summary.servers[task.server] = (summary.servers[task.server] ?? 0) + 1;
  }
  summary.done = summary.seen;
  return summary;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
