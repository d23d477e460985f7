import { afterEach, describe, expect, it } from 'vitest';
import type { ManagedProcess } from '../../scripts/lib/managed-process.js';
import { eventually, getJson, startProcessStack, type ProcessStack } from '../support/processes.js';

let stack: ProcessStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

/** π(10^9) and the twin prime pairs below 10^9. */
const EXACT = { primes: '50847534', twin_primes: '3424506' };
/** Short tasks, so that a job of 10^9 has dozens and a fault lands in the middle of it. */
const JOB_ENV = { TASK_TARGET_MS: '80', CAPACITY: '1' };

interface JobView {
  id: string;
  status: string;
  progress: { tasks_done: number; fraction: number };
  result: { primes: string; twin_primes: string } | null;
  servers: Record<string, number>;
  retries: number;
}

async function submit(balancerUrl: string): Promise<string> {
  const res = await fetch(`${balancerUrl}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'count_primes', from: '0', to: '1000000000' }) });
  expect(res.status).toBe(202);
  return ((await res.json()) as { job: JobView }).job.id;
}

const jobOf = async (balancerUrl: string, id: string, wait = 0) => (await getJson<{ job: JobView }>(`${balancerUrl}/jobs/${id}?wait=${wait}`)).job;

/** Waits until the job has counted at least `fraction` of its range. */
async function reach(balancerUrl: string, id: string, fraction: number): Promise<void> {
  expect(await eventually(async () => (await jobOf(balancerUrl, id)).progress.fraction >= fraction, 30_000, 20)).toBe(true);
}

describe('jobs under faults, with real processes', () => {
  it('when a worker is killed with SIGKILL mid-job, then its tasks run elsewhere and the count is exact', async () => {
    stack = await startProcessStack(2, JOB_ENV);
    const { balancerUrl, workers } = stack;
    const id = await submit(balancerUrl);
    await reach(balancerUrl, id, 0.3);
    await workers[1]!.stop('SIGKILL');
    const job = await jobOf(balancerUrl, id, 60);
    expect(job).toMatchObject({ status: 'done', result: EXACT });
  });

  it('when a worker is frozen with SIGSTOP mid-job, then its task runs again on the other worker and the job still ends', async () => {
    stack = await startProcessStack(2, JOB_ENV);
    const { balancerUrl, workers } = stack;
    const frozen = workers[1] as ManagedProcess;
    const id = await submit(balancerUrl);
    await reach(balancerUrl, id, 0.3);
    frozen.signal('SIGSTOP');
    try {
      const job = await jobOf(balancerUrl, id, 60);
      expect(job).toMatchObject({ status: 'done', result: EXACT });
    } finally {
      frozen.signal('SIGCONT');
    }
    const metrics = await (await fetch(`${balancerUrl}/metrics`)).text();
    expect(metrics).toMatch(/distcalc_job_tasks_total\{server="server1",outcome="backup"\} [1-9]/);
  });

  it('when the balancer is killed mid-job and started again, then the job resumes from its journal and the count is exact', async () => {
    stack = await startProcessStack(2, JOB_ENV);
    const { balancer, balancerUrl } = stack;
    const id = await submit(balancerUrl);
    await reach(balancerUrl, id, 0.4);
    const before = (await jobOf(balancerUrl, id)).progress.tasks_done;
    const port = balancer.port!;
    await balancer.stop('SIGKILL');
    await balancer.start({ PORT: String(port) });
    const resumed = await jobOf(balancerUrl, id);
    // Nothing recorded before the kill was lost.
    expect(resumed.progress.tasks_done).toBeGreaterThanOrEqual(before);
    const job = await jobOf(balancerUrl, id, 60);
    expect(job).toMatchObject({ status: 'done', result: EXACT });
  });
});
