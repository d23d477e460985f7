import { Registry } from 'prom-client';
import { expect, it } from 'vitest';
import { collectProcessMetrics } from '../../../src/shared/process-metrics.js';

it('when process metrics are collected, then CPU, memory and event-loop lag are exposed under the prefix', async () => {
  const registry = new Registry();
  collectProcessMetrics(registry, 'distcalc_test_');
  const text = await registry.metrics();
  expect(text).toMatch(/^distcalc_test_process_cpu_seconds_total \d/m);
  expect(text).toMatch(/^distcalc_test_nodejs_heap_size_used_bytes \d/m);
  expect(text).toMatch(/^distcalc_test_nodejs_eventloop_lag_p99_seconds \d/m);
});
