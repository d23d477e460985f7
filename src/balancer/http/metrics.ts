import { Counter, Gauge, Histogram, type LabelValues, Registry as MetricsRegistry } from 'prom-client';
import { collectProcessMetrics } from '../../shared/process-metrics.js';
import type { Registry } from '../workers/registry.js';
import { shownStatus } from '../workers/server-entry.js';

export interface BalancerMetrics {
  readonly registry: MetricsRegistry;
  /** One finished client request; `server` is who answered, or "none". */
  request(server: string, outcome: string, seconds: number): void;
  retry(server: string, kind: string): void;
  /** A light request also sent to `server` because its first worker was slow to answer. */
  hedge(server: string): void;
  healthCheck(server: string, ok: boolean): void;
  /**
   * A worker was removed: its series go, so that workers that come and go do not pile them up.
   * Names given in one turn of the event loop go together, on the next.
   */
  forget(server: string): Promise<void>;
}

/**
 * Prometheus metrics for the balancer, on a registry of its own (never prom-client's global
 * one) so that each app, and each test, has its own counts.
 */
export function createMetrics(
  servers: Registry,
  { defaults = true, queueDepth = () => 0 }: { defaults?: boolean; queueDepth?: () => number } = {},
): BalancerMetrics {
  const registry = new MetricsRegistry();
  if (defaults) collectProcessMetrics(registry, 'distcalc_balancer_');

  const requests = new Counter({
    name: 'distcalc_requests_total',
    help: 'Client requests to /is_prime by the server that answered and the outcome',
    labelNames: ['server', 'outcome'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'distcalc_request_duration_seconds',
    help: 'Time from receiving a client request to sending the answer',
    labelNames: ['server', 'outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const retries = new Counter({
    name: 'distcalc_upstream_failures_total',
    help: 'Tries at a worker that failed (and were retried elsewhere if possible), by kind',
    labelNames: ['server', 'kind'] as const,
    registers: [registry],
  });
  const hedges = new Counter({
    name: 'distcalc_hedged_requests_total',
    help: 'Light requests also sent to a second server (named) because the first was slow to answer',
    labelNames: ['server'] as const,
    registers: [registry],
  });
  const healthChecks = new Counter({
    name: 'distcalc_health_checks_total',
    help: 'Health probes by server and result',
    labelNames: ['server', 'result'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'distcalc_servers',
    help: 'Registered servers by status',
    labelNames: ['status'] as const,
    registers: [registry],
    collect() {
      const counts = { active: 0, inactive: 0, draining: 0 };
      for (const server of servers.servers) counts[shownStatus(server)] += 1;
      for (const [status, count] of Object.entries(counts)) this.set({ status }, count);
    },
  });
  new Gauge({
    name: 'distcalc_queue_depth',
    help: 'Requests waiting for a worker with room',
    registers: [registry],
    collect() {
      this.set(queueDepth());
    },
  });
  new Gauge({
    name: 'distcalc_server_in_flight',
    help: 'Requests in flight at each server',
    labelNames: ['server'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const server of servers.servers) this.set({ server: server.name }, server.inFlight);
    },
  });

  // Names to forget, taken together: a health-check round that forgets hundreds of workers reads
  // each metric once, not once per worker (that was seconds of blocked event loop at 400).
  let forgetting: { names: Set<string>; done: Promise<void> } | undefined;
  const forgetTogether = async (names: Set<string>): Promise<void> => {
    // A name registered again meanwhile (a worker back at another address) keeps its series.
    for (const server of servers.servers) names.delete(server.name);
    if (names.size === 0) return;
    // Every series by worker on this registry, the jobs' (job-metrics.ts) included.
    const byServer = registry.getMetricsAsArray().filter((metric) => metric instanceof Counter || metric instanceof Histogram);
    for (const metric of byServer) await removeSeriesOf(metric, names);
  };

  return {
    registry,
    request(server, outcome, seconds) {
      requests.inc({ server, outcome });
      latency.observe({ server, outcome }, seconds);
    },
    retry(server, kind) {
      retries.inc({ server, kind });
    },
    hedge(server) {
      hedges.inc({ server });
    },
    healthCheck(server, ok) {
      healthChecks.inc({ server, result: ok ? 'pass' : 'fail' });
    },
    forget(server) {
      if (!forgetting) {
        const names = new Set<string>();
        const done = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
          forgetting = undefined;
          return forgetTogether(names);
        });
        forgetting = { names, done };
      }
      forgetting.names.add(server);
      return forgetting.done;
    },
  };
}

/**
 * Removes every series of `metric` whose `server` label is one of `servers`. It reads the label
 * sets back from the metric rather than keeping a list of them: a worker is removed rarely
 * (after SERVER_FORGET_AFTER_MS), and a list per worker would cost memory for every worker.
 */
async function removeSeriesOf<T extends string>(metric: Counter<T> | Histogram<T>, servers: ReadonlySet<string>): Promise<void> {
  for (const { labels } of (await metric.get()).values) {
    const own: Record<string, string | number | undefined> = { ...labels };
    if (typeof own.server !== 'string' || !servers.has(own.server)) continue;
    // A histogram's values carry their bucket's `le`, which is not one of its labels.
    delete own.le;
    metric.remove(own as LabelValues<T>);
  }
}
