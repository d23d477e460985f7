import type { JobRecord, JobStatus } from './journal-types.js';

export const FINISHED: ReadonlySet<JobStatus> = new Set(['done', 'failed', 'cancelled']);

export interface Retention {
  /** Finished jobs kept, at most this many (the oldest go first) ... */
  keep: number;
  /** ... and for at most this long after they end. */
  keepForMs: number;
}

/** The finished jobs (of `jobs`, oldest first) that are past the retention time or count. */
export function expiredJobs(jobs: readonly JobRecord[], now: number, { keep, keepForMs }: Retention): JobRecord[] {
  const finished = jobs.filter((job) => FINISHED.has(job.status));
  return finished.filter((job, index) => finished.length - index > keep || (job.finishedAt ?? 0) <= now - keepForMs);
}
