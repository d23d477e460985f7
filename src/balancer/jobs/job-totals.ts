import { joinCounts, span } from './ranges.js';
import type { JobRecord, JobTotals, TaskRecord } from './journal-types.js';
import { toTaskCounts } from './task-record.js';

/**
 * The totals of a job's tasks. A job that has ended keeps these instead of its task records
 * (about 400 bytes of heap each, held by the job manager and again by the journal's state; the
 * largest job has 50,000), so that the finished jobs kept for people to read cost the same
 * whatever their size. The result is joined here, once, for a done job.
 */
export function totalsOf(job: JobRecord): JobTotals {
  if (job.totals) return job.totals;
  const totals: JobTotals = { tasks: 0, servers: {}, counted: '0', primes: null, twins: null };
  for (const task of job.tasks) addToTotals(totals, task);
  if (job.status === 'done') {
    const { primes, twins } = joinCounts(job.tasks.map(toTaskCounts));
    totals.primes = String(primes);
    totals.twins = String(twins);
  }
  return totals;
}

/** Drops an ended job's task records for their totals. */
export function foldTasks(job: JobRecord): void {
  job.totals = totalsOf(job);
  job.tasks = [];
}

/**
 * A counted task, written to the journal, into its job. A job cancelled while the task's record
 * was being written has ended meanwhile: the journal holds the task before the end, and so
 * must the job's totals.
 */
export function addTask(job: JobRecord, task: TaskRecord): void {
  if (job.totals) addToTotals(job.totals, task);
  else job.tasks.push(task);
}

function addToTotals(totals: JobTotals, task: TaskRecord): void {
  totals.tasks += 1;
  totals.servers[task.server] = (totals.servers[task.server] ?? 0) + 1;
  totals.counted = String(BigInt(totals.counted) + span({ from: BigInt(task.from), to: BigInt(task.to) }));
}

/** How many tasks a job has counted. */
export function tasksDone(job: JobRecord): number {
  return job.totals?.tasks ?? job.tasks.length;
}
