import { collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * How often the event-loop lag is sampled. prom-client's default (10 ms) is a timer that wakes
 * the process 100 times a second whether or not there is traffic: measured on a busy 2-core
 * machine, those wake-ups were most of the balancer's CPU per heavy request. Ten a second still
 * shows a stalled loop.
 */
const EVENT_LOOP_SAMPLE_MS = 100;

/** prom-client's process metrics (CPU, memory, GC, event-loop lag), names under `prefix`. */
export function collectProcessMetrics(registry: Registry, prefix: string): void {
  collectDefaultMetrics({ register: registry, prefix, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
}
