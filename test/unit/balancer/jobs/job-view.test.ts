import { describe, expect, it } from 'vitest';
import { foldTasks } from '../../../../src/balancer/jobs/job-totals.js';
import { createJobView } from '../../../../src/balancer/jobs/job-view.js';
import type { JobRecord, TaskRecord } from '../../../../src/balancer/jobs/journal-types.js';

const task = (from: number, to: number, primes: number, twins: number, first: number | null, last: number | null, server: string): TaskRecord => ({
  from: String(from),
  to: String(to),
  primes: String(primes),
  twins: String(twins),
  firstPrime: first === null ? null : String(first),
  lastPrime: last === null ? null : String(last),
  server,
  elapsedMs: 1,
});

/** A record whose tasks array counts how many of its elements are read. */
function countingRecord(tasks: TaskRecord[]): { record: JobRecord; reads: () => number } {
  let reads = 0;
  const counted = new Proxy(tasks, {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) reads += 1;
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  const record: JobRecord = { id: 'j', kind: 'count_primes', from: '0', to: '20', status: 'running', createdAt: 0, startedAt: 0, finishedAt: null, error: null, tasks: counted, retries: 0 };
  return { record, reads: () => reads };
}

describe('job view', () => {
  it('when tasks are added to a job between looks, then each look counts the new ones, and reads only them', () => {
    const describeJob = createJobView();
    const { record, reads } = countingRecord([task(0, 10, 4, 2, 2, 7, 'server1')]);
    expect(describeJob(record, undefined)).toMatchObject({ progress: { tasks_done: 1, fraction: 0.523809 }, servers: { server1: 1 }, result: null });
    const before = reads();
    // [11, 20]: 11, 13, 17, 19; twins (11, 13), (17, 19); and (5, 7) was in the first task.
    record.tasks.push(task(11, 20, 4, 2, 11, 19, 'server2'));
    expect(describeJob(record, undefined)).toMatchObject({ progress: { tasks_done: 2, fraction: 1 }, servers: { server1: 1, server2: 1 } });
    expect(reads() - before).toBe(1);
  });

  it('when a job ends, then its tasks are folded into totals, and it is described from them as before, with its result', () => {
    const describeJob = createJobView();
    const { record } = countingRecord([task(11, 20, 4, 2, 11, 19, 'server2'), task(0, 10, 4, 2, 2, 7, 'server1')]);
    const running = describeJob(record, undefined);
    record.status = 'done';
    record.finishedAt = 1;
    foldTasks(record);
    expect(record.tasks).toEqual([]);
    expect(record.totals).toEqual({ tasks: 2, servers: { server1: 1, server2: 1 }, counted: '21', primes: '8', twins: '4' });
    const done = describeJob(record, undefined);
    expect(done).toMatchObject({ progress: running.progress, servers: running.servers, result: { primes: '8', twin_primes: '4' } });
  });
});
