import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { countWorker, naiveCount, type CountWorker } from '../support/count-worker.js';
import { closeAfterEach, startBalancer, type TestBalancer } from '../support/in-process.js';
import { sleep } from '../support/processes.js';

const track = closeAfterEach();

/** A balancer with `names` stand-in workers, each running `capacity` tasks at once. */
async function stack(names: string[], { capacity = 1, delayMs = 0, ...config }: { capacity?: number; delayMs?: number } & Parameters<typeof startBalancer>[0] = {}) {
  const balancer = track(await startBalancer(config));
  const workers: CountWorker[] = [];
  for (const name of names) {
    const worker = track(await countWorker(name, { delayMs }));
    balancer.registry.register(worker.url, name, capacity);
    workers.push(worker);
  }
  return { balancer, workers };
}

async function submit(balancer: TestBalancer, from: string, to: string) {
  const res = await request(balancer.url).post('/jobs').send({ kind: 'count_primes', from, to }).expect(202);
  return res;
}

const covered = (worker: CountWorker) => worker.seen.ranges.reduce((n, [a, b]) => n + Number(b - a + 1n), 0);

describe('jobs', () => {
  it('when a job is submitted, then it is split over every worker and its counts are exact', async () => {
    const { balancer, workers } = await stack(['server1', 'server2']);
    const created = await submit(balancer, '0', '6000000');
    expect(created.headers.location).toBe(`/jobs/${created.body.job.id}`);
    expect(created.body.job).toMatchObject({ kind: 'count_primes', from: '0', to: '6000000', result: null });
    const done = await request(balancer.url).get(`${created.headers.location}?wait=20`).expect(200);
    const exact = naiveCount(0, 6_000_000);
    expect(done.body.job).toMatchObject({ status: 'done', result: { primes: exact.primes, twin_primes: exact.twin_primes }, error: null });
    expect(done.body.job.progress).toMatchObject({ fraction: 1 });
    expect(done.body.job.progress.tasks_done).toBeGreaterThanOrEqual(2);
    expect(Object.keys(done.body.job.servers).sort()).toEqual(['server1', 'server2']);
    // Every number counted exactly once.
    expect(workers.reduce((n, w) => n + covered(w), 0)).toBe(6_000_001);
  });

  it('when the body is wrong, then it is a 400 invalid_job and nothing is created', async () => {
    const { balancer } = await stack(['server1']);
    const res = await request(balancer.url).post('/jobs').send({ kind: 'count_primes', from: '9', to: '1' }).expect(400);
    expect(res.body).toMatchObject({ error: 'invalid_job', message: expect.stringContaining('greater') });
    // JSON, but not an object: a job is asked for, not readable JSON.
    for (const body of ['null', '"hi"', '[1,2]']) {
      const wrong = await request(balancer.url).post('/jobs').set('content-type', 'application/json').send(body).expect(400);
      expect(wrong.body).toMatchObject({ error: 'invalid_job', message: expect.stringContaining('must be a JSON object') });
    }
    expect((await request(balancer.url).get('/jobs').expect(200)).body.jobs).toEqual([]);
  });

  it('when a job id is unknown or the wait is out of range, then it is 404 unknown_job or 400 invalid_wait', async () => {
    const { balancer } = await stack(['server1']);
    expect((await request(balancer.url).get('/jobs/nope').expect(404)).body.error).toBe('unknown_job');
    expect((await request(balancer.url).delete('/jobs/nope').expect(404)).body.error).toBe('unknown_job');
    const { body } = await submit(balancer, '0', '10');
    expect((await request(balancer.url).get(`/jobs/${body.job.id}?wait=61`).expect(400)).body.error).toBe('invalid_wait');
  });

  it('when more jobs arrive than may run and wait, then they queue in order and the next is 503 too_many_jobs with Retry-After', async () => {
    const { balancer } = await stack(['server1'], { delayMs: 200, maxRunningJobs: 1, maxQueuedJobs: 1 });
    const first = await submit(balancer, '0', '3000000');
    const second = await submit(balancer, '0', '100');
    expect(second.body.job.status).toBe('queued');
    const refused = await request(balancer.url).post('/jobs').send({ kind: 'count_primes', from: '0', to: '5' }).expect(503);
    expect(refused.body.error).toBe('too_many_jobs');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const list = (await request(balancer.url).get('/jobs').expect(200)).body.jobs;
    expect(list.map((j: { id: string }) => j.id)).toEqual([second.body.job.id, first.body.job.id]);
    const last = await request(balancer.url).get(`/jobs/${second.body.job.id}?wait=20`).expect(200);
    expect(last.body.job).toMatchObject({ status: 'done', result: { primes: '25', twin_primes: '8' } });
  });

  it('when many jobs are posted at once, then no more are taken than may run and wait', async () => {
    const { balancer } = await stack([], { maxRunningJobs: 1, maxQueuedJobs: 1 });
    const post = () => request(balancer.url).post('/jobs').send({ kind: 'count_primes', from: '0', to: '100' });
    const statuses = (await Promise.all(Array.from({ length: 20 }, post))).map((res) => res.status);
    expect(statuses.filter((status) => status === 202)).toHaveLength(2);
    expect(statuses.filter((status) => status === 503)).toHaveLength(18);
  });

  it('when a running job is cancelled, then its tasks on the workers are cancelled and it stays cancelled', async () => {
    const { balancer, workers } = await stack(['server1'], { delayMs: 5_000 });
    const { body } = await submit(balancer, '0', '50000000');
    await expect.poll(() => workers[0]!.seen.ranges.length).toBeGreaterThan(0);
    const cancelled = await request(balancer.url).delete(`/jobs/${body.job.id}`).expect(200);
    expect(cancelled.body.job).toMatchObject({ status: 'cancelled', result: null });
    await expect.poll(() => workers[0]!.seen.cancelled).toBe(1);
    await sleep(100);
    expect(workers[0]!.seen.ranges).toHaveLength(1);
    expect((await request(balancer.url).delete(`/jobs/${body.job.id}`).expect(200)).body.job.status).toBe('cancelled');
  });

  it('when a job is cancelled while the balancer shuts down, then it is 503 shutting_down and the job is not reported cancelled', async () => {
    const { balancer, workers } = await stack(['server1'], { delayMs: 5_000 });
    const { body } = await submit(balancer, '0', '50000000');
    await expect.poll(() => workers[0]!.seen.ranges.length).toBeGreaterThan(0);
    // Shutdown closes the jobs (and their journal) before the HTTP server.
    await balancer.jobs.close();
    const refused = await request(balancer.url).delete(`/jobs/${body.job.id}`).expect(503);
    expect(refused.body.error).toBe('shutting_down');
    expect(balancer.jobs.get(body.job.id)?.status).toBe('running');
  });

  it("when a worker that ran tasks is forgotten, then its job series leave /metrics with its other series", async () => {
    const { balancer } = await stack(['gone-worker']);
    const { body } = await submit(balancer, '0', '100000');
    await request(balancer.url).get(`/jobs/${body.job.id}?wait=10`).expect(200);
    const series = async () => (await request(balancer.url).get('/metrics').expect(200)).text.split('\n').filter((line) => line.includes('server="gone-worker"'));
    expect((await series()).some((line) => line.startsWith('distcalc_job_tasks_total'))).toBe(true);
    balancer.registry.remove(balancer.registry.servers[0]!, 'forgotten');
    await expect.poll(series).toEqual([]);
  });

  it('when a worker fails a task, then the task runs again elsewhere and the count is still exact', async () => {
    const { balancer, workers } = await stack(['good', 'bad']);
    workers[1]!.behave({ status: 500 });
    const { body } = await submit(balancer, '0', '4000000');
    const done = await request(balancer.url).get(`/jobs/${body.job.id}?wait=20`).expect(200);
    const exact = naiveCount(0, 4_000_000);
    expect(done.body.job).toMatchObject({ status: 'done', result: { primes: exact.primes, twin_primes: exact.twin_primes } });
    expect(done.body.job.retries).toBeGreaterThanOrEqual(1);
    expect(done.body.job.servers).toEqual({ good: done.body.job.progress.tasks_done });
  });

  it('when a worker refuses tasks wider than it takes, then tasks shrink, the count is exact, and the worker stays in rotation', async () => {
    const balancer = track(await startBalancer());
    const worker = track(await countWorker('narrow', { maxSpan: 2_000_000n }));
    balancer.registry.register(worker.url, 'narrow', 1);
    const { body } = await submit(balancer, '0', '6000000');
    const done = await request(balancer.url).get(`/jobs/${body.job.id}?wait=20`).expect(200);
    const exact = naiveCount(0, 6_000_000);
    expect(done.body.job).toMatchObject({ status: 'done', result: { primes: exact.primes, twin_primes: exact.twin_primes } });
    expect(worker.seen.ranges.some(([a, b]) => b - a + 1n > 2_000_000n)).toBe(true);
    expect(balancer.registry.get(worker.url)).toMatchObject({ status: 'active', failures: 0 });
  });

  it('when a worker stops answering mid-task, then a backup runs on another worker, the first answer wins and the other is cancelled', async () => {
    const { balancer, workers } = await stack(['frozen', 'good'], { taskTargetMs: 50 });
    workers[0]!.behave({ hang: true });
    const started = Date.now();
    const { body } = await submit(balancer, '0', '3000000');
    const done = await request(balancer.url).get(`/jobs/${body.job.id}?wait=20`).expect(200);
    expect(done.body.job.status).toBe('done');
    expect(done.body.job.result.primes).toBe(naiveCount(0, 3_000_000).primes);
    expect(done.body.job.servers).toEqual({ good: done.body.job.progress.tasks_done });
    expect(Date.now() - started).toBeLessThan(5_000);
    await expect.poll(() => workers[0]!.seen.cancelled).toBe(workers[0]!.seen.ranges.length);
    const metrics = await (await fetch(`${balancer.url}/metrics`)).text();
    expect(metrics).toMatch(/distcalc_job_tasks_total\{server="good",outcome="backup"\} [1-9]/);
  });

  it('when a worker registers mid-job, then it gets tasks', async () => {
    const { balancer, workers } = await stack(['server1'], { delayMs: 150, taskTargetMs: 50 });
    const { body } = await submit(balancer, '0', '40000000');
    await expect.poll(() => workers[0]!.seen.ranges.length).toBeGreaterThan(0);
    const late = track(await countWorker('late', { delayMs: 150 }));
    balancer.registry.register(late.url, 'late', 1);
    const done = await request(balancer.url).get(`/jobs/${body.job.id}?wait=30`).expect(200);
    expect(done.body.job.status).toBe('done');
    expect(done.body.job.servers.late).toBeGreaterThan(0);
  });

  it('when jobs have expired by the time the balancer starts again, then its journal is compacted to the jobs it keeps', async () => {
    const worker = track(await countWorker('server1'));
    const balancer = await startBalancer();
    balancer.registry.register(worker.url, 'server1', 1);
    const ids: string[] = [];
    for (const to of ['10', '20', '30']) {
      const { body } = await submit(balancer, '0', to);
      await request(balancer.url).get(`/jobs/${body.job.id}?wait=10`).expect(200);
      ids.push(body.job.id);
    }
    await balancer.close();
    const again = track(await startBalancer({ dataDir: balancer.dataDir, jobsKeep: 1 }));
    expect((await request(again.url).get('/jobs').expect(200)).body.jobs.map((j: { id: string }) => j.id)).toEqual([ids[2]]);
    const journal = () => readFileSync(join(balancer.dataDir, 'jobs.journal'), 'utf8');
    await expect.poll(() => ids.filter((id) => journal().includes(id))).toEqual([ids[2]]);
  });

  it('when the balancer is restarted mid-job over the same DATA_DIR, then the job resumes without counting finished tasks again', async () => {
    const worker = track(await countWorker('server1', { delayMs: 100 }));
    const first = await startBalancer({ taskTargetMs: 50 });
    first.registry.register(worker.url, 'server1', 1);
    const { body } = await submit(first, '0', '20000000');
    await expect.poll(async () => (await request(first.url).get(`/jobs/${body.job.id}`)).body.job.progress.tasks_done, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    await first.close();
    const before = worker.seen.ranges.length;
    // What the first balancer recorded as counted (a task answered as it closed may not be).
    const doneBefore = first.jobs.get(body.job.id)!.tasks.map((t) => [BigInt(t.from), BigInt(t.to)] as const);
    expect(doneBefore.length).toBeGreaterThanOrEqual(3);

    const second = track(await startBalancer({ dataDir: first.dataDir, taskTargetMs: 50 }));
    second.registry.register(worker.url, 'server1', 1);
    const done = await request(second.url).get(`/jobs/${body.job.id}?wait=30`).expect(200);
    const exact = naiveCount(0, 20_000_000);
    expect(done.body.job).toMatchObject({ status: 'done', result: { primes: exact.primes, twin_primes: exact.twin_primes } });
    // No range finished before the restart was asked for again.
    const after = worker.seen.ranges.slice(before);
    for (const [a, b] of after) for (const [c, d] of doneBefore) expect(b < c || a > d).toBe(true);
  });
});
