import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openJournal, type JobRecord, type Journal, type TaskRecord } from '../../../../src/balancer/jobs/journal.js';

const task = (from: number, to: number): TaskRecord => ({ from: String(from), to: String(to), primes: '1', twins: '0', firstPrime: String(from), lastPrime: String(from), server: 'server2', elapsedMs: 40 });

function job(id: string, fields: Partial<JobRecord> = {}): JobRecord {
  return { id, kind: 'count_primes', from: '0', to: '999', status: 'queued', createdAt: 1_000, startedAt: null, finishedAt: null, error: null, tasks: [], retries: 0, ...fields };
}

const jobs: JobRecord[] = [
  job('running', { status: 'running', startedAt: 2_000, tasks: [task(100, 199), task(0, 99)], retries: 2 }),
  job('queued', { to: '18446744073709551616' }),
  // Ended jobs hold their tasks' totals, not the tasks.
  job('done', { status: 'done', startedAt: 2_000, finishedAt: 3_000, totals: { tasks: 1, servers: { server2: 1 }, counted: '1000', primes: '1', twins: '0' } }),
  job('failed', { status: 'failed', startedAt: 2_000, finishedAt: 3_000, error: 'no active workers for 30 s', totals: { tasks: 3, servers: { server2: 3 }, counted: '300', primes: null, twins: null } }),
  job('cancelled', { status: 'cancelled', finishedAt: 3_000, totals: { tasks: 0, servers: {}, counted: '0', primes: null, twins: null } }),
];

describe('rewriting the jobs journal', () => {
  let dir: string;
  let path: string;
  const opened: Journal[] = [];
  const reopen = async () => {
    const result = await openJournal({ dir });
    opened.push(result.journal);
    return result;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'distcalc-journal-'));
    path = join(dir, 'jobs.journal');
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((j) => j.close().catch(() => undefined)));
    await rm(dir, { recursive: true, force: true });
  });

  it('when the journal is rewritten, then a reopen gives exactly the jobs given, and no temp file is left', async () => {
    const { journal } = await reopen();
    for (let i = 0; i < 50; i++) await journal.append({ type: 'created', job: { id: `old${i}`, kind: 'count_primes', from: '0', to: '9', createdAt: i } });
    await journal.rewrite(jobs);
    expect(journal.bytes).toBe((await stat(path)).size);
    await journal.append({ type: 'started', id: 'queued', at: 5_000 });
    await journal.close();
    const reopened = await reopen();
    expect(reopened).toMatchObject({ problems: [], jobs: [jobs[0], { ...jobs[1], status: 'running', startedAt: 5_000 }, ...jobs.slice(2)] });
    expect((await readdir(dir)).sort()).toEqual(['jobs.journal', 'jobs.lock']);
  });

  it('when appends and a rewrite are issued together, then each lands in call order', async () => {
    const { journal } = await reopen();
    const calls: Promise<void>[] = [
      journal.append({ type: 'created', job: { id: 'dropped', kind: 'count_primes', from: '0', to: '9', createdAt: 0 } }),
      journal.rewrite([job('a')]),
      journal.append({ type: 'started', id: 'a', at: 7 }),
    ];
    await expect(journal.append({ type: 'removed', id: 'dropped' })).rejects.toMatchObject({ code: 'invalid_event' });
    await Promise.all(calls);
    await journal.close();
    expect((await reopen()).jobs).toEqual([job('a', { status: 'running', startedAt: 7 })]);
  });

  it('when a rewrite crashed before its rename, then the journal is intact and the temp file is removed on open', async () => {
    const { journal } = await reopen();
    await journal.rewrite(jobs);
    await journal.close();
    const before = await readFile(path);
    await writeFile(`${path}.tmp`, before.subarray(0, 100));
    const { jobs: replayed, problems } = await reopen();
    expect(problems).toEqual([]);
    expect(replayed).toEqual(jobs);
    expect(await readFile(path)).toEqual(before);
    expect((await readdir(dir)).sort()).toEqual(['jobs.journal', 'jobs.lock']);
  });

  it('when a rewrite fails before its rename, then the old file stays whole, appends are refused until a rewrite succeeds', async () => {
    const { journal } = await reopen();
    await journal.append({ type: 'created', job: { id: 'a', kind: 'count_primes', from: '0', to: '9', createdAt: 0 } });
    const before = await readFile(path);
    // A directory where the temp file goes makes its open fail, as a full or read-only disk would.
    await mkdir(`${path}.tmp`);
    await expect(journal.rewrite(jobs)).rejects.toMatchObject({ code: 'io_error', message: expect.stringContaining(`${path}.tmp`) });
    expect(await readFile(path)).toEqual(before);
    await expect(journal.append({ type: 'retried', id: 'running' })).rejects.toMatchObject({ code: 'io_error', message: expect.stringMatching(/EISDIR.*; no append is taken until a rewrite succeeds$/) });
    await rm(`${path}.tmp`, { recursive: true });
    await journal.rewrite(jobs);
    await journal.append({ type: 'removed', id: 'done' });
    await journal.close();
    expect((await reopen()).jobs.map((j) => j.id)).toEqual(['running', 'queued', 'failed', 'cancelled']);
  });

  it.each<[string, JobRecord[], RegExp]>([
    ['a finished job has no finishedAt', [job('x', { status: 'done', startedAt: 1 })], /job x: at NaN is not a time/],
    ['a queued job has a start', [job('x', { startedAt: 1 })], /job x: its status cannot go with the rest \(status queued, startedAt 1, finishedAt null\)/],
    ['a running job has an error', [job('x', { status: 'running', startedAt: 1, error: 'boom' })], /job x: its error cannot go/],
    ['two tasks overlap', [job('x', { status: 'running', startedAt: 1, tasks: [task(0, 10), task(10, 20)] })], /overlaps/],
    ['an id repeats', [job('x'), job('x')], /created twice/],
  ])('when %s, then rewrite refuses it and changes nothing', async (_, given, why) => {
    const { journal } = await reopen();
    await journal.append({ type: 'created', job: { id: 'kept', kind: 'count_primes', from: '0', to: '9', createdAt: 0 } });
    await expect(journal.rewrite(given)).rejects.toMatchObject({ code: 'invalid_event', message: expect.stringMatching(why) });
    await journal.append({ type: 'started', id: 'kept', at: 1 });
    await journal.close();
    expect((await reopen()).jobs.map((j) => [j.id, j.status])).toEqual([['kept', 'running']]);
  });

  it('when thousands of jobs and tasks are replayed, then opening takes well under a few seconds', async () => {
    const many: JobRecord[] = Array.from({ length: 1_000 }, (_, i) => job(`job${i}`, { status: 'running', startedAt: 2_000, to: '99999', tasks: Array.from({ length: 10 }, (_, t) => task(t * 100, t * 100 + 99)) }));
    // One job with many tasks in a scrambled order, the overlap check's worst case.
    const order = Array.from({ length: 10_000 }, (_, i) => (i * 7_919) % 10_000);
    many.push(job('big', { status: 'running', startedAt: 2_000, to: '99999', tasks: order.map((t) => task(t * 10, t * 10 + 9)) }));
    const { journal } = await reopen();
    await journal.rewrite(many);
    await journal.close();
    const started = performance.now();
    const { jobs: replayed, problems } = await reopen();
    const elapsed = performance.now() - started;
    expect(problems).toEqual([]);
    expect(replayed).toHaveLength(1_001);
    expect(replayed.at(-1)!.tasks).toHaveLength(10_000);
    // Some 22,000 records open in 0.1 to 0.5 s on a busy 2-core machine; the bound only catches
    // work that grows faster than the file.
    expect(elapsed).toBeLessThan(3_000);
  });
});
