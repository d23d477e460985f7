import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../../../src/balancer/http/metrics.js';
import { openJournal, type Journal, type JournalEvent } from '../../../../src/balancer/jobs/journal.js';
import { AdmissionQueue } from '../../../../src/balancer/routing/admission.js';
import type { ForwardResult, UpstreamClient } from '../../../../src/balancer/upstream/client.js';
import { Registry } from '../../../../src/balancer/workers/registry.js';
import { createRoundRobin } from '../../../../src/balancer/workers/round-robin.js';
import { testJobManager } from '../../../support/job-manager.js';

/** A worker's answer to `/count_primes/<from>/<to>` for a range holding the primes 2, 3, 5, 7. */
const answer = (path: string): ForwardResult => {
  const [from, to] = path.split('/').slice(2);
  const body = Buffer.from(JSON.stringify({ from, to, primes: '4', twin_primes: '2', first_prime: '2', last_prime: '7', elapsed_ms: 1 }));
  return { ok: true, status: 200, contentType: 'application/json', retryAfter: undefined, body };
};

describe('job totals', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'distcalc-totals-'))));
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('when a job is cancelled while a counted task is being written, then its totals count that task, as its journal does', async () => {
    const opened = await openJournal({ dir });
    // Appends in call order, as the journal makes them; the task's is held until released.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let taskHeld!: () => void;
    const taskReached = new Promise<void>((resolve) => (taskHeld = resolve));
    let chain = Promise.resolve();
    const journal: Journal = Object.assign(Object.create(opened.journal) as Journal, {
      append(event: JournalEvent) {
        const gate = event.type === 'task' ? (taskHeld(), held) : undefined;
        const appended = chain.then(() => gate).then(() => opened.journal.append(event));
        chain = appended.catch(() => undefined);
        return appended;
      },
    });
    const registry = new Registry({ maxServers: 10 });
    const metrics = createMetrics(registry, { defaults: false });
    const admission = new AdmissionQueue({ registry, select: createRoundRobin(registry), maxQueue: 10, queueTimeoutMs: 1_000 });
    const upstream = { forward: (_origin: string, path: string) => Promise.resolve(answer(path)) } as unknown as UpstreamClient;
    const jobs = testJobManager({ journal: journal, registry, admission, upstream, metrics });
    jobs.start();
    registry.register('http://10.0.0.5:1', 'worker', 1);
    const job = await jobs.create({ kind: 'count_primes', from: 0n, to: 10n ** 9n });
    await taskReached;
    const cancelled = jobs.cancel(job.id);
    release();
    await cancelled;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(jobs.get(job.id)).toMatchObject({ status: 'cancelled', tasks: [], totals: { tasks: 1, servers: { worker: 1 } } });
    await jobs.close();
    const reopened = await openJournal({ dir });
    await reopened.journal.close();
    expect(reopened.jobs[0]!.totals).toEqual(jobs.get(job.id)!.totals);
  });
});
