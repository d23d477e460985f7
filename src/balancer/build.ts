import type { RequestListener } from 'node:http';
import { createHttpLogger } from '../shared/http-logger.js';
import type { Logger } from '../shared/logger.js';
import type { BalancerConfig } from './config.js';
import { createApp } from './http/app.js';
import { createListener } from './http/listener.js';
import { JobManager } from './jobs/job-manager.js';
import { createJobMetrics } from './jobs/job-metrics.js';
import { openJournal } from './jobs/journal.js';
import { createMetrics, type BalancerMetrics } from './http/metrics.js';
import { StatusHistory } from './http/status-history.js';
import { AdmissionQueue } from './routing/admission.js';
import { createHedging } from './routing/hedging.js';
import { createWorkerJudge } from './routing/judge.js';
import { createPrimeRoute } from './routing/prime-route.js';
import { createUpstreamClient, type UpstreamClient } from './upstream/client.js';
import { createHealthChecker, type HealthChecker } from './workers/health-checker.js';
import { createCallerAllowList } from './workers/caller-allow-list.js';
import { createHostAllowList } from './workers/host-allow-list.js';
import { Registry } from './workers/registry.js';
import { createSelector } from './workers/selection.js';

export interface Balancer {
  /** Every request, for Node's HTTP server (http/listener.ts). */
  listener: RequestListener;
  registry: Registry;
  admission: AdmissionQueue;
  healthChecker: HealthChecker;
  upstream: UpstreamClient;
  jobs: JobManager;
}

/**
 * Wires the balancer's parts from its configuration: the one place that knows how registry,
 * selection, admission, upstream client, health checks, jobs, metrics and routes fit together.
 * Opens the job journal in DATA_DIR (reporting what was wrong with it, if anything) but starts
 * nothing: main.ts (and the tests) listen, start the health checker and resume the jobs.
 */
export async function buildBalancer(config: BalancerConfig, logger: Logger, { processMetrics = true } = {}): Promise<Balancer> {
  const history = new StatusHistory();
  // The parts call each other both ways (the registry tells admission of room, admission tells
  // jobs of spare slots), so some callbacks name parts declared further down: none runs before
  // this function returns, as nothing is registered or started until then.
  const registry: Registry = new Registry({
    maxServers: config.maxServers,
    maxInFlightPerServer: config.maxInFlightPerServer,
    failureThreshold: config.failureThreshold,
    recoveryThreshold: config.recoveryThreshold,
    onTransition: (transition) => {
      const { server, from, to, reason } = transition;
      logger.info({ server: server.name, address: server.address, from, to, reason }, `server ${server.name} is ${to}`);
      // Metric series and charts are by name, and a worker may come back under its name at
      // another address (a restarted container): the one still registered keeps them.
      const nameGone = to === 'removed' && !registry.servers.some((other) => other.name === server.name);
      history.transition(transition, { forget: nameGone });
      if (nameGone) {
        metrics.forget(server.name).catch((err: unknown) => logger.error({ err, server: server.name }, 'could not remove the metrics of a removed server'));
      }
      // Waiting requests may now have a worker, or none left to wait for.
      admission.workersChanged();
    },
    // A worker that may now run more calculations at once takes waiting ones at once.
    onRoom: () => admission.workersChanged(),
  });
  const admission = new AdmissionQueue({
    registry,
    select: createSelector(config.selection, registry),
    maxQueue: config.maxQueue,
    queueTimeoutMs: config.queueTimeoutMs,
    startupWaitMs: config.startupWaitMs,
    // Spare slots go to running jobs.
    onSpareCapacity: () => jobs.pump(),
  });
  const upstream = createUpstreamClient({ probeTimeoutMs: config.healthCheckTimeoutMs, probeIntervalMs: config.healthCheckIntervalMs });
  const metrics = createMetrics(registry, { defaults: processMetrics, queueDepth: () => admission.depth });
  // The status page's charts count what the metrics count: every answer a worker gave.
  const routeMetrics: BalancerMetrics = {
    ...metrics,
    request(server, outcome, seconds) {
      metrics.request(server, outcome, seconds);
      if (outcome === 'ok' || outcome === 'client_error') history.answered(server, seconds * 1000);
    },
  };
  const healthChecker = createHealthChecker({
    registry,
    probe: (address, light) => upstream.probe(address, light),
    logger,
    intervalMs: config.healthCheckIntervalMs,
    idleAfterMs: config.idleCheckAfterMs,
    forgetAfterMs: config.forgetAfterMs,
    onResult: (server, result) => metrics.healthCheck(server.name, result.ok),
  });
  const judgeWorker = createWorkerJudge({ registry, probe: (address) => upstream.probe(address) });
  const opened = await openJournal({ dir: config.dataDir });
  for (const problem of opened.problems) logger.error({ dataDir: config.dataDir, problem }, 'the job journal needed repair; what could be trusted was kept');
  const jobs: JobManager = new JobManager({
    journal: opened.journal,
    recovered: opened.jobs,
    logger,
    metrics: createJobMetrics(metrics.registry, () => jobs.countByStatus()),
    maxRunning: config.maxRunningJobs,
    maxQueued: config.maxQueuedJobs,
    retention: { keep: config.jobsKeep, keepForMs: config.jobsKeepMs },
    runner: {
      registry,
      admission,
      upstream,
      judgeWorker,
      logger,
      taskTargetMs: config.taskTargetMs,
      maxTaskSpan: config.maxTaskSpan,
      taskTimeoutMs: config.taskTimeoutMs,
      stallTimeoutMs: config.jobStallTimeoutMs,
    },
  });
  const primeRoute = createPrimeRoute({
    registry,
    admission,
    upstream,
    metrics: routeMetrics,
    judgeWorker,
    hedging: createHedging(config.hedgeAfterMs, config.hedgeBudgetPercent),
    maxDigits: config.maxDigits,
    maxTries: config.maxTries,
    requestTimeoutMs: config.requestTimeoutMs,
    requestDeadlineMs: config.requestDeadlineMs,
    retryAfterSeconds: Math.max(1, Math.ceil(config.healthCheckIntervalMs / 1000)),
  });
  const httpLogger = createHttpLogger(logger);
  const app = createApp({
    registry,
    admission,
    jobs,
    metrics,
    history,
    logger,
    httpLogger,
    registrationToken: config.registrationToken,
    allowHost: createHostAllowList(config.allowedServerHosts),
    allowCaller: createCallerAllowList(config.allowedServerHosts),
  });
  return { listener: createListener(app, primeRoute, httpLogger), registry, admission, healthChecker, upstream, jobs };
}
