import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ProbeResult } from '../../../../src/balancer/upstream/client.js';
import { createHealthChecker } from '../../../../src/balancer/workers/health-checker.js';
import { Registry } from '../../../../src/balancer/workers/registry.js';
import { captureLogger } from '../../../support/logger.js';

const INTERVAL = 1_000;
const IDLE_AFTER = 3_000;

function setup({ recoveryThreshold = 1, forgetAfterMs = 60_000 } = {}) {
  const { logger, records } = captureLogger();
  const registry = new Registry({
    maxServers: 10,
    recoveryThreshold,
    onTransition: ({ server, to, reason }) => logger.info({ server: server.name, to, reason }, 'transition'),
  });
  const healthy = new Map<string, boolean>();
  const probed: string[] = [];
  const probe = vi.fn(async (address: string, _light?: boolean): Promise<ProbeResult> => {
    probed.push(address);
    return healthy.get(address) === false ? { ok: false, message: 'health check: ECONNREFUSED' } : { ok: true };
  });
  const checker = createHealthChecker({ registry, probe, logger, intervalMs: INTERVAL, idleAfterMs: IDLE_AFTER, forgetAfterMs, random: () => 1 });
  return { registry, healthy, probed, probe, checker, records };
}

describe('health checker', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('when a worker is inactive and its probe passes, then it is back in rotation within one interval', async () => {
    const { registry, checker } = setup();
    const a = registry.register('http://a:1', 'a');
    registry.markFailed(a, 'ECONNRESET');
    checker.start();
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(a.status).toBe('active');
    checker.stop();
  });

  it('when a worker was taken out for a light check its health check hides, then it is probed with a light check, and back only when one passes', async () => {
    const { registry, probe, checker } = setup();
    const a = registry.register('http://a:1', 'a');
    registry.markFailed(a, 'no answer within 200 ms to a light check, though its health check passed');
    a.lightProbe = true;
    // Its light checks still hang: those probes fail, its health check would pass.
    probe.mockImplementation(async (_address, light) => (light ? { ok: false, message: 'light check: no answer within 2000 ms' } : { ok: true }));
    checker.start();
    await vi.advanceTimersByTimeAsync(3 * INTERVAL);
    expect(a.status).toBe('inactive');
    expect(probe.mock.calls.every(([, light]) => light === true)).toBe(true);
    probe.mockImplementation(async () => ({ ok: true }));
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(a).toMatchObject({ status: 'active', lightProbe: false });
    checker.stop();
  });

  it('when one worker lets its probes time out, then the other workers are still probed on time', async () => {
    const { registry, healthy, probe, probed, checker } = setup();
    const atOnce = probe.getMockImplementation()!;
    // a's probes wait out a long timeout; b's answer at once.
    probe.mockImplementation(async (address) => {
      if (address !== 'http://a:1') return atOnce(address);
      probed.push(address);
      return new Promise((resolve) => setTimeout(() => resolve({ ok: false, message: 'timed out' }), 10 * INTERVAL));
    });
    for (const name of ['a', 'b']) {
      registry.markFailed(registry.register(`http://${name}:1`, name), 'ECONNRESET');
      healthy.set(`http://${name}:1`, false);
    }
    checker.start();
    await vi.advanceTimersByTimeAsync(5 * INTERVAL);
    // b is still down: probed again at least once an interval; a's first probe is still out.
    expect(probed.filter((address) => address === 'http://b:1').length).toBeGreaterThanOrEqual(5);
    expect(probed.filter((address) => address === 'http://a:1')).toHaveLength(1);
    checker.stop();
  });

  it('when an inactive worker is still down, then it stays out and its failures do not pile up', async () => {
    const { registry, healthy, checker } = setup();
    const a = registry.register('http://a:1', 'a');
    registry.markFailed(a, 'ECONNRESET');
    healthy.set('http://a:1', false);
    checker.start();
    await vi.advanceTimersByTimeAsync(INTERVAL * 5);
    expect(a.status).toBe('inactive');
    expect(a.failures).toBe(1);
    checker.stop();
  });

  it('when an active worker has had no traffic for a while and its probe fails, then it is taken out', async () => {
    const { registry, healthy, checker, records } = setup();
    const a = registry.register('http://a:1', 'a');
    healthy.set('http://a:1', false);
    checker.start();
    await vi.advanceTimersByTimeAsync(IDLE_AFTER - INTERVAL);
    expect(a.status).toBe('active');
    // Probed at its moment in the interval once idle: within one interval.
    await vi.advanceTimersByTimeAsync(INTERVAL * 2);
    expect(a.status).toBe('inactive');
    expect(records.filter((r) => r.msg === 'transition' && r.to === 'inactive')).toHaveLength(1);
    checker.stop();
  });

  it('when a worker has been down for SERVER_FORGET_AFTER_MS, then it is removed and no longer probed', async () => {
    const { registry, healthy, probed, checker, records } = setup({ forgetAfterMs: INTERVAL * 10 });
    const a = registry.register('http://a:1', 'a');
    registry.markFailed(a, 'ECONNRESET');
    healthy.set('http://a:1', false);
    checker.start();
    await vi.advanceTimersByTimeAsync(INTERVAL * 9);
    expect(registry.get('http://a:1')).toBe(a);
    await vi.advanceTimersByTimeAsync(INTERVAL * 2);
    expect(registry.get('http://a:1')).toBeUndefined();
    expect(records.find((r) => r.msg === 'transition' && r.to === 'removed')?.reason).toMatch(/^not seen for 1\d s$/);
    const probes = probed.length;
    await vi.advanceTimersByTimeAsync(INTERVAL * 5);
    expect(probed).toHaveLength(probes);
    checker.stop();
  });

  it('when an active worker has traffic, then it is not probed', async () => {
    const { registry, checker, probed } = setup();
    const a = registry.register('http://a:1', 'a');
    checker.start();
    for (let i = 0; i < 10; i++) {
      registry.begin(a);
      registry.end(a);
      await vi.advanceTimersByTimeAsync(INTERVAL);
    }
    expect(probed).toEqual([]);
    checker.stop();
  });

  it('when many idle workers registered at once, then their probes are spread over the interval, each once per interval', async () => {
    const registry = new Registry({ maxServers: 1000 });
    for (let i = 0; i < 1000; i++) registry.register(`http://w${i}:1`, `w${i}`);
    const probe = vi.fn(async (): Promise<ProbeResult> => ({ ok: true }));
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const { logger } = captureLogger();
    const checker = createHealthChecker({ registry, probe, logger, intervalMs: INTERVAL, idleAfterMs: 0, random });
    checker.start();
    const perTick: number[] = [];
    for (let tick = 0; tick < 30; tick++) {
      const before = probe.mock.calls.length;
      await vi.advanceTimersByTimeAsync(INTERVAL / 10);
      perTick.push(probe.mock.calls.length - before);
    }
    checker.stop();
    // Ten rounds per interval: about a tenth of the workers in each, never all at once.
    expect(Math.max(...perTick)).toBeLessThan(200);
    const inSecondInterval = perTick.slice(10, 20).reduce((sum, n) => sum + n, 0);
    expect(inSecondInterval).toBe(1000);
  });

  it('when a probe is slow, then the same worker is not probed again until it has its answer', async () => {
    const { registry, checker, probe } = setup();
    const a = registry.register('http://a:1', 'a');
    registry.markFailed(a, 'down');
    let running = 0;
    let most = 0;
    probe.mockImplementation(async () => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, INTERVAL * 3));
      running -= 1;
      return { ok: false, message: 'slow' };
    });
    checker.start();
    await vi.advanceTimersByTimeAsync(INTERVAL * 10);
    expect(probe.mock.calls.length).toBeGreaterThan(1);
    expect(most).toBe(1);
    checker.stop();
  });

  it('when a worker is replaced at its address while its probe runs, then the late result is not counted for either', async () => {
    const { logger } = captureLogger();
    const registry = new Registry({ maxServers: 10 });
    const counted: string[] = [];
    const probe = async (): Promise<ProbeResult> => {
      await new Promise((resolve) => setTimeout(resolve, INTERVAL * 3));
      return { ok: false, message: 'health check: ECONNREFUSED' };
    };
    const onResult = (server: { name: string }) => counted.push(server.name);
    const checker = createHealthChecker({ registry, probe, logger, intervalMs: INTERVAL, idleAfterMs: IDLE_AFTER, random: () => 0, onResult });
    registry.markFailed(registry.register('http://10.0.0.5:1', 'gone-pod'), 'down');
    checker.start();
    await vi.advanceTimersByTimeAsync(INTERVAL);
    const fresh = registry.register('http://10.0.0.5:1', 'new-pod');
    await vi.advanceTimersByTimeAsync(INTERVAL * 3);
    checker.stop();
    // Counting it would bring back the metric series the gone pod's name was forgotten with.
    expect(counted).not.toContain('gone-pod');
    expect(fresh.status).toBe('active');
  });

  it('when an inactive worker stays down, then it is probed soon and then ever less often, at most one interval apart', async () => {
    const { registry, healthy, checker, probe } = setup();
    const a = registry.register('http://a:1', 'a');
    healthy.set('http://a:1', false);
    const times: number[] = [];
    probe.mockImplementation(async () => {
      times.push(Date.now());
      return { ok: false, message: 'down' };
    });
    const failedAt = Date.now();
    registry.markFailed(a, 'ECONNREFUSED');
    checker.start();
    await vi.advanceTimersByTimeAsync(INTERVAL * 8);
    const gaps = [times[0]! - failedAt, ...times.slice(1).map((t, i) => t - times[i]!)];
    expect(gaps[0]).toBeLessThanOrEqual(INTERVAL * 0.35);
    expect(gaps.at(-1)).toBeGreaterThan(gaps[0]!);
    for (const gap of gaps) expect(gap).toBeLessThanOrEqual(INTERVAL + INTERVAL / 10);
  });

  it('when a worker fails and recovers again and again, then its probes back off instead of returning it at once each time', async () => {
    const { registry, checker, probe } = setup();
    const a = registry.register('http://a:1', 'a');
    const delays: number[] = [];
    checker.start();
    for (let flap = 0; flap < 4; flap++) {
      registry.markFailed(a, 'flap');
      const failedAt = Date.now();
      const calls = probe.mock.calls.length;
      while (probe.mock.calls.length === calls) await vi.advanceTimersByTimeAsync(10);
      delays.push(Date.now() - failedAt);
      expect(a.status).toBe('active');
    }
    expect(delays.at(-1)).toBeGreaterThan(delays[0]!);
    checker.stop();
  });

  it('when RECOVERY_THRESHOLD is 3, then a worker needs three passing probes in a row to come back', async () => {
    const { registry, checker, probe } = setup({ recoveryThreshold: 3 });
    const a = registry.register('http://a:1', 'a');
    registry.markFailed(a, 'down');
    checker.start();
    while (probe.mock.calls.length < 2) await vi.advanceTimersByTimeAsync(10);
    expect(a.status).toBe('inactive');
    while (probe.mock.calls.length < 3) await vi.advanceTimersByTimeAsync(10);
    expect(a.status).toBe('active');
    checker.stop();
  });

  it('when stopped, then no more probes run', async () => {
    const { registry, checker, probe } = setup();
    registry.markFailed(registry.register('http://a:1', 'a'), 'down');
    checker.start();
    checker.stop();
    await vi.advanceTimersByTimeAsync(INTERVAL * 5);
    expect(probe).not.toHaveBeenCalled();
  });
});
