import { Counter, Gauge, Histogram, Registry as MetricsRegistry } from 'prom-client';
import { collectProcessMetrics } from '../../shared/process-metrics.js';
import type { Registry } from '../workers/registry.js';

export interface BalancerMetrics {
  readonly registry: MetricsRegistry;
  /** One finished client request; `server` is who answered, or "none". */
  request(server: string, outcome: string, seconds: number): void;
  retry(server: string, kind: string): void;
  /** A light request also sent to `server` because its first worker was slow to answer. */
  hedge(server: string): void;
  healthCheck(server: string, ok: boolean): void;
  /** A worker was removed: its series go, so that workers come and gone do not pile up. */
  forget(server: string): void;
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
      for (const server of servers.servers) counts[server.status] += 1;
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

  // Label lookups hash and sort their labels on every call; keep each series' child instead.
  const series = new Map<string, { count: () => void; observe: (seconds: number) => void }>();
  // Each server's label sets, and how to remove each.
  const removers = new Map<string, Map<string, () => void>>();
  const remember = (server: string, key: string, remove: () => void): void => {
    let mine = removers.get(server);
    if (!mine) {
      mine = new Map();
      removers.set(server, mine);
    }
    if (!mine.has(key)) mine.set(key, remove);
  };
  return {
    registry,
    request(server, outcome, seconds) {
      const key = `${server}\u0000${outcome}`;
      let child = series.get(key);
      if (!child) {
        const counter = requests.labels(server, outcome);
        const histogram = latency.labels(server, outcome);
        child = { count: () => counter.inc(), observe: (s) => histogram.observe(s) };
        series.set(key, child);
        remember(server, key, () => {
          series.delete(key);
          requests.remove(server, outcome);
          latency.remove(server, outcome);
        });
      }
      child.count();
      child.observe(seconds);
    },
    retry(server, kind) {
      retries.inc({ server, kind });
      remember(server, `retry ${kind}`, () => retries.remove(server, kind));
    },
    hedge(server) {
      hedges.inc({ server });
      remember(server, 'hedge', () => hedges.remove(server));
    },
    healthCheck(server, ok) {
      const result = ok ? 'pass' : 'fail';
      healthChecks.inc({ server, result });
      remember(server, `health ${result}`, () => healthChecks.remove(server, result));
    },
    forget(server) {
      for (const remove of removers.get(server)?.values() ?? []) remove();
      removers.delete(server);
    },
  };
}
