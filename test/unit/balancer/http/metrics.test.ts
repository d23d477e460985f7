import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../../src/balancer/http/metrics.js';
import { describeServer } from '../../../../src/balancer/http/server-view.js';
import { Registry } from '../../../../src/balancer/workers/registry.js';

const exposition = async (metrics: ReturnType<typeof createMetrics>) => metrics.registry.metrics();

describe('balancer metrics', () => {
  it('when a worker is removed, then its series go from /metrics and the other workers keep theirs', async () => {
    const metrics = createMetrics(new Registry({ maxServers: 10 }), { defaults: false });
    for (const server of ['pod-a', 'pod-b']) {
      metrics.request(server, 'ok', 0.001);
      metrics.retry(server, 'timeout');
      metrics.hedge(server);
      metrics.healthCheck(server, true);
      metrics.healthCheck(server, false);
    }
    await metrics.forget('pod-a');
    const text = await exposition(metrics);
    expect(text).not.toContain('server="pod-a"');
    for (const name of ['distcalc_requests_total', 'distcalc_request_duration_seconds_count', 'distcalc_upstream_failures_total', 'distcalc_hedged_requests_total', 'distcalc_health_checks_total']) {
      expect(text).toMatch(new RegExp(`${name}\\{[^}]*server="pod-b"`));
    }
  });

  it('when a removed worker comes back under the same name, then its counts start again from its first answer', async () => {
    const metrics = createMetrics(new Registry({ maxServers: 10 }), { defaults: false });
    metrics.request('pod-a', 'ok', 0.001);
    metrics.request('pod-a', 'ok', 0.001);
    await metrics.forget('pod-a');
    metrics.request('pod-a', 'ok', 0.001);
    expect(await exposition(metrics)).toContain('distcalc_requests_total{server="pod-a",outcome="ok"} 1');
  });

  it('when many workers are forgotten in one turn, then all their series go together and a name registered again meanwhile keeps its own', async () => {
    const registry = new Registry({ maxServers: 1000 });
    const metrics = createMetrics(registry, { defaults: false });
    const names = Array.from({ length: 300 }, (_, i) => `pod-${i}`);
    for (const name of names) metrics.request(name, 'ok', 0.001);
    const forgotten = names.map((name) => metrics.forget(name));
    // pod-7 comes back (at another address) before the forgetting is done.
    registry.register('http://10.0.0.7:5000', 'pod-7');
    await Promise.all(forgotten);
    const left = (await exposition(metrics)).split('\n').filter((line) => line.startsWith('distcalc_requests_total{'));
    expect(left).toEqual(['distcalc_requests_total{server="pod-7",outcome="ok"} 1']);
  });

  it('when another worker waits to take an address over, then the old entry shows as draining in /servers and in the status gauge', async () => {
    const registry = new Registry({ maxServers: 10 });
    const metrics = createMetrics(registry, { defaults: false });
    const old = registry.register('http://10.0.0.5:5000', 'gone-pod');
    registry.begin(old);
    registry.register('http://10.0.0.5:5000', 'new-pod');
    expect(describeServer(old)).toMatchObject({ name: 'gone-pod', status: 'draining', in_flight: 1 });
    const text = await exposition(metrics);
    expect(text).toContain('distcalc_servers{status="draining"} 1');
    expect(text).toContain('distcalc_servers{status="active"} 0');
  });
});
