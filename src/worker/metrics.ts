import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { collectProcessMetrics } from '../shared/process-metrics.js';
import type { PrimalityMethod } from './primality.js';
import type { WorkState } from './work-state.js';

/** How a calculation was done: a primality method, or `sieve` for a prime count. */
export type CalculationMethod = PrimalityMethod | 'sieve';

export interface WorkerMetrics {
  readonly registry: Registry;
  /** One finished calculation: which method, how long it took. */
  calculation(method: CalculationMethod, seconds: number): void;
  /** One calculation stopped or dropped because its client went away. */
  cancelled(method: CalculationMethod): void;
}

/** Prometheus metrics for a worker, on a registry of its own. */
export function createWorkerMetrics(state: WorkState, { defaults = true } = {}): WorkerMetrics {
  const registry = new Registry();
  if (defaults) collectProcessMetrics(registry, 'distcalc_worker_');
  const calculations = new Histogram({
    name: 'distcalc_worker_calculation_seconds',
    help: 'Time to answer a calculation, by method (trial_division, miller_rabin_64, openssl; sieve for a prime count)',
    labelNames: ['method'] as const,
    // Up to minutes: a count of MAX_TASK_SPAN numbers takes seconds to tens of seconds.
    buckets: [0.00001, 0.0001, 0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 30, 60, 120],
    registers: [registry],
  });
  const count = new Counter({
    name: 'distcalc_worker_calculations_total',
    help: 'Calculations done, by method',
    labelNames: ['method'] as const,
    registers: [registry],
  });
  const cancelled = new Counter({
    name: 'distcalc_worker_cancelled_total',
    help: 'Calculations stopped or dropped because the client went away, by method',
    labelNames: ['method'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'distcalc_worker_in_flight',
    help: 'Calculations running now',
    registers: [registry],
    collect() {
      this.set(state.inFlight);
    },
  });
  return {
    registry,
    calculation(method, seconds) {
      count.inc({ method });
      calculations.observe({ method }, seconds);
    },
    cancelled(method) {
      cancelled.inc({ method });
    },
  };
}
