import type { BalancerMetrics } from '../../src/balancer/http/metrics.js';
import { JobManager } from '../../src/balancer/jobs/job-manager.js';
import { createJobMetrics } from '../../src/balancer/jobs/job-metrics.js';
import type { JobRecord, Journal } from '../../src/balancer/jobs/journal.js';
import type { AdmissionQueue } from '../../src/balancer/routing/admission.js';
import type { UpstreamClient } from '../../src/balancer/upstream/client.js';
import type { Registry } from '../../src/balancer/workers/registry.js';
import { silentLogger } from './logger.js';

/**
 * A job manager over the given journal and workers, for unit tests of the jobs: one job runs at
 * a time, tasks aim at a second, and nothing times out within a test.
 */
export function testJobManager({ journal, recovered = [], registry, admission, upstream, metrics }: {
  journal: Journal;
  recovered?: readonly JobRecord[];
  registry: Registry;
  admission: AdmissionQueue;
  upstream: UpstreamClient;
  metrics: BalancerMetrics;
}): JobManager {
  const jobs: JobManager = new JobManager({
    journal,
    recovered,
    logger: silentLogger,
    metrics: createJobMetrics(metrics.registry, () => jobs.countByStatus()),
    maxRunning: 1,
    maxQueued: 1,
    retention: { keep: 10, keepForMs: 60_000 },
    runner: { registry, admission, upstream, judgeWorker: () => {}, logger: silentLogger, taskTargetMs: 1_000, maxTaskSpan: 1_000_000n, taskTimeoutMs: 10_000, stallTimeoutMs: 10_000 },
  });
  return jobs;
}
