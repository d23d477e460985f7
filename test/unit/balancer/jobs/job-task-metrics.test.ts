import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMetrics, type BalancerMetrics } from '../../../../src/balancer/http/metrics.js';
import { openJournal } from '../../../../src/balancer/jobs/journal.js';
import { AdmissionQueue } from '../../../../src/balancer/routing/admission.js';
import type { ForwardResult, UpstreamClient } from '../../../../src/balancer/upstream/client.js';
import { Registry } from '../../../../src/balancer/workers/registry.js';
import { createRoundRobin } from '../../../../src/balancer/workers/round-robin.js';
import { testJobManager } from '../../../support/job-manager.js';

describe('job task metrics', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'distcalc-task-metrics-'))));
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('when a task answered by a worker whose address another worker takes over is counted, then the replaced name has no series afterwards', async () => {
    // As build.ts wires them: a name no longer registered loses its series.
    const registry: Registry = new Registry({
      maxServers: 10,
      onTransition: ({ server, to }) => {
        if (to === 'removed' && !registry.servers.some((s) => s.name === server.name)) void metrics.forget(server.name);
        admission.workersChanged();
      },
    });
    const metrics: BalancerMetrics = createMetrics(registry, { defaults: false });
    const admission: AdmissionQueue = new AdmissionQueue({ registry, select: createRoundRobin(registry), maxQueue: 10, queueTimeoutMs: 1_000 });
    let answer!: (result: ForwardResult) => void;
    const upstream = {
      forward: (_origin: string, path: string) => {
        const [from, to] = path.split('/').slice(2);
        const body = Buffer.from(JSON.stringify({ from, to, primes: '4', twin_primes: '2', first_prime: '2', last_prime: '7', elapsed_ms: 1 }));
        return new Promise<ForwardResult>((resolve) => (answer = () => resolve({ ok: true, status: 200, contentType: 'application/json', retryAfter: undefined, body })));
      },
    } as unknown as UpstreamClient;
    const opened = await openJournal({ dir });
    const jobs = testJobManager({ journal: opened.journal, recovered: opened.jobs, registry, admission, upstream, metrics });
    jobs.start();
    const old = registry.register('http://10.0.0.5:1', 'gone-pod');
    const job = await jobs.create({ kind: 'count_primes', from: 0n, to: 10n });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(old.inFlight).toBe(1);
    registry.register('http://10.0.0.5:1', 'new-pod');
    answer({} as ForwardResult);
    await jobs.waitForEnd(job.id, 2_000, new AbortController().signal);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(registry.servers.map((s) => s.name)).toEqual(['new-pod']);
    expect(await metrics.registry.metrics()).not.toContain('server="gone-pod"');
    await jobs.close();
  });
});
