import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { countWorker } from '../support/count-worker.js';
import { closeAfterEach, startBalancer } from '../support/in-process.js';

const track = closeAfterEach();

/** Short limits, so that a job gives up within the test: both the stall and a task's time. */
const LIMITS = { jobStallTimeoutMs: 1_000, taskTimeoutMs: 1_000 };

async function failedJob(balancerUrl: string) {
  const created = await request(balancerUrl).post('/jobs').send({ kind: 'count_primes', from: '0', to: '4000000' }).expect(202);
  const started = Date.now();
  const ended = await request(balancerUrl).get(`/jobs/${created.body.job.id}?wait=20`).expect(200);
  return { job: ended.body.job, afterMs: Date.now() - started };
}

describe('jobs that cannot finish', () => {
  it('when the workers pass their health checks but fail every task, then the job fails tasks_failing, not no_active_servers', async () => {
    const balancer = track(await startBalancer(LIMITS));
    // Health checks bring a worker taken out for its 500s back in, as in a running balancer.
    balancer.healthChecker.start();
    for (const name of ['broken1', 'broken2']) {
      const worker = track(await countWorker(name, { status: 500 }));
      balancer.registry.register(worker.url, name, 1);
    }
    const { job, afterMs } = await failedJob(balancer.url);
    expect(job).toMatchObject({ status: 'failed', error: 'tasks_failing', result: null });
    expect(job.retries).toBeGreaterThanOrEqual(2);
    expect(afterMs).toBeLessThan(10_000);
  });

  it('when every worker is gone for JOB_STALL_TIMEOUT_MS, then the job fails no_active_servers', async () => {
    const balancer = track(await startBalancer(LIMITS));
    balancer.healthChecker.start();
    // Registered, then gone: its address refuses connections, as a killed worker's does.
    const worker = await countWorker('gone', {});
    balancer.registry.register(worker.url, 'gone', 1);
    await worker.close();
    const { job } = await failedJob(balancer.url);
    expect(job).toMatchObject({ status: 'failed', error: 'no_active_servers', result: null });
  });
});
