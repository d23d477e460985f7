import { describe, expect, it } from 'vitest';
import { expiredJobs } from '../../../../src/balancer/jobs/retention.js';
import type { JobRecord, JobStatus } from '../../../../src/balancer/jobs/journal-types.js';

const job = (id: string, status: JobStatus, finishedAt: number | null): JobRecord => ({
  id,
  kind: 'count_primes',
  from: '0',
  to: '9',
  status,
  createdAt: 0,
  startedAt: 0,
  finishedAt,
  error: null,
  tasks: [],
  retries: 0,
});

describe('job retention', () => {
  it('when finished jobs are older than the retention time, then they expire; running and queued ones never do', () => {
    const jobs = [job('old', 'done', 1_000), job('recent', 'failed', 9_000), job('running', 'running', null), job('queued', 'queued', null)];
    expect(expiredJobs(jobs, 10_000, { keep: 100, keepForMs: 5_000 }).map((j) => j.id)).toEqual(['old']);
  });

  it('when more finished jobs are kept than allowed, then the oldest go first', () => {
    const jobs = [job('a', 'done', 9_000), job('b', 'cancelled', 9_000), job('run', 'running', null), job('c', 'done', 9_000)];
    expect(expiredJobs(jobs, 10_000, { keep: 2, keepForMs: 60_000 }).map((j) => j.id)).toEqual(['a']);
  });
});
