import { foldTasks } from './job-totals.js';
import { compareDecimal } from './journal-event.js';
import type { JobRecord, JournalEvent } from './journal-types.js';

interface Span {
  from: string;
  to: string;
}

export interface JobEntry {
  job: JobRecord;
  /**
   * The job's task ranges sorted by `from`, so an overlap is found by a binary search. Adding one
   * moves the spans after it; tasks finish roughly in range order, so those are few.
   */
  spans: Span[];
}

/**
 * Jobs as their events have built them, by id, in creation order (a Map keeps insertion
 * order). Replay and the live journal use the same fold, so an event append accepts is exactly
 * an event replay accepts.
 */
export type JobsState = Map<string, JobEntry>;

export function createJobsState(): JobsState {
  return new Map();
}

/**
 * Applies one well-formed event; returns why it cannot follow the job's earlier events, or
 * null when applied. A rejected event leaves the state untouched.
 */
export function applyEvent(state: JobsState, event: JournalEvent): string | null {
  if (event.type === 'created') {
    if (state.has(event.job.id)) return `job ${event.job.id} is created twice`;
    const job: JobRecord = { ...event.job, status: 'queued', startedAt: null, finishedAt: null, error: null, tasks: [], retries: 0 };
    state.set(job.id, { job, spans: [] });
    return null;
  }
  const entry = state.get(event.id);
  if (entry === undefined) return `${event.type} event for unknown job ${event.id}`;
  const { job } = entry;
  const refuse = (): string => `job ${job.id} is ${job.status}: a ${event.type} event cannot follow`;
  switch (event.type) {
    case 'started':
      if (job.status !== 'queued') return refuse();
      job.status = 'running';
      job.startedAt = event.at;
      return null;
    case 'task': {
      if (job.status !== 'running') return refuse();
      const why = addSpan(entry, event.task);
      if (why !== null) return why;
      job.tasks.push(event.task);
      return null;
    }
    case 'retried':
      if (job.status !== 'running') return refuse();
      job.retries += 1;
      return null;
    case 'ended':
      // A queued job may be cancelled or fail before it starts; only a running one can finish.
      if (job.status !== 'running' && !(job.status === 'queued' && event.status !== 'done')) return `${refuse()} with ${event.status}`;
      // Totals come with the end only in a compacted journal, which holds no tasks for the job.
      if (event.totals !== undefined && job.tasks.length > 0) return `job ${job.id} ends with totals after task events`;
      job.status = event.status;
      job.finishedAt = event.at;
      job.error = event.error;
      if (event.totals !== undefined) job.totals = event.totals;
      foldTasks(job);
      entry.spans = [];
      return null;
    case 'removed':
      state.delete(job.id);
      return null;
  }
}

/** Each task counts its range exactly once, inside the job's range. */
function addSpan({ job, spans }: JobEntry, { from, to }: Span): string | null {
  if (compareDecimal(from, job.from) < 0 || compareDecimal(to, job.to) > 0) {
    return `task ${from}..${to} is outside job ${job.id}'s range ${job.from}..${job.to}`;
  }
  // The first span starting after `from`: only it and the one before it can overlap.
  let low = 0;
  let high = spans.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareDecimal(spans[mid]!.from, from) <= 0) low = mid + 1;
    else high = mid;
  }
  const before = spans[low - 1];
  const after = spans[low];
  const clash = before !== undefined && compareDecimal(before.to, from) >= 0 ? before : after !== undefined && compareDecimal(after.from, to) <= 0 ? after : undefined;
  if (clash !== undefined) return `task ${from}..${to} of job ${job.id} overlaps its task ${clash.from}..${clash.to}`;
  spans.splice(low, 0, { from, to });
  return null;
}

/** Copies of the jobs, for a caller that will change them (by hand: structuredClone is slower). */
export function jobsOf(state: JobsState): JobRecord[] {
  return Array.from(state.values(), ({ job }) => {
    const copy = { ...job, tasks: job.tasks.map((task) => ({ ...task })) };
    if (job.totals) copy.totals = { ...job.totals, servers: { ...job.totals.servers } };
    return copy;
  });
}

/**
 * The events that rebuild a job, one job after another: what a compacted journal holds. The
 * interleaving of tasks and retries is not kept; the job's state does not depend on it.
 */
export function eventsOf(job: JobRecord): JournalEvent[] {
  const { id, kind, from, to, createdAt } = job;
  const events: JournalEvent[] = [{ type: 'created', job: { id, kind, from, to, createdAt } }];
  if (job.startedAt !== null) events.push({ type: 'started', id, at: job.startedAt });
  for (const task of job.tasks) events.push({ type: 'task', id, task });
  for (let i = 0; i < job.retries; i++) events.push({ type: 'retried', id });
  if (job.status === 'done' || job.status === 'failed' || job.status === 'cancelled') {
    // A finished job without finishedAt is a caller's bug; NaN makes parseEvent say so.
    const ended: JournalEvent = { type: 'ended', id, status: job.status, at: job.finishedAt ?? Number.NaN, error: job.error };
    if (job.totals) ended.totals = job.totals;
    events.push(ended);
  }
  return events;
}
