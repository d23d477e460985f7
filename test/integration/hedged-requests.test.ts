import { describe, expect, it } from 'vitest';
import { fakeWorker } from '../support/fake-worker.js';
import { closeAfterEach, startBalancer, startWorker } from '../support/in-process.js';

const track = closeAfterEach();

describe('hedged light requests (HEDGE_AFTER_MS)', () => {
  /** How long a stalled worker takes to answer: a hedged request is answered in well under it. */
  const STALL_MS = 1_000;

  /** Times `count` light requests in turn, and who answered each. */
  async function timeLight(url: string, count: number) {
    const results: Array<{ ms: number; servedBy: string | null; status: number }> = [];
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      const res = await fetch(`${url}/is_prime/97`);
      await res.arrayBuffer();
      results.push({ ms: performance.now() - started, servedBy: res.headers.get('x-served-by'), status: res.status });
    }
    return results;
  }

  it('when a worker stalls, then light requests sent to it are answered by another within the hedge delay', async () => {
    // Round robin, so that every other first try goes to the stalled worker.
    const balancer = track(await startBalancer({ hedgeAfterMs: 20, selection: 'round_robin' }));
    const stalled = track(await fakeWorker('stalled', 'slow', { slowMs: STALL_MS }));
    balancer.register(stalled);
    balancer.register(track(await startWorker('good')));
    const results = await timeLight(balancer.url, 6);
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(results.map((r) => r.servedBy)).toEqual(Array(6).fill('good'));
    expect(Math.max(...results.map((r) => r.ms))).toBeLessThan(STALL_MS / 2);
    // Round robin sent every other request to the stalled worker first.
    expect(stalled.seen.requests).toBe(3);
    const metrics = await (await fetch(`${balancer.url}/metrics`)).text();
    expect(metrics).toContain('distcalc_hedged_requests_total{server="good"} 3');
    // The losing tries are left to finish, not cancelled, and count against no one.
    await expect.poll(() => balancer.registry.get(stalled.url)?.inFlight, { timeout: STALL_MS * 3 }).toBe(0);
    expect(stalled.seen.closedEarly).toBe(0);
    expect(balancer.registry.get(stalled.url)).toMatchObject({ status: 'active', inFlight: 0, failures: 0 });
  });

  it('when a worker stalls under least outstanding (the default), then after one hedge it gets no more requests while its stalled one is open', async () => {
    const balancer = track(await startBalancer({ hedgeAfterMs: 20 }));
    const stalled = track(await fakeWorker('stalled', 'slow', { slowMs: STALL_MS }));
    balancer.register(stalled);
    balancer.register(track(await startWorker('good')));
    const results = await timeLight(balancer.url, 6);
    expect(results.map((r) => r.servedBy)).toEqual(Array(6).fill('good'));
    expect(Math.max(...results.map((r) => r.ms))).toBeLessThan(STALL_MS / 2);
    // The first went to the stalled worker (both idle, the first in turn) and was hedged; its
    // try still counts against the stalled worker, so the rest went straight to the other. (An
    // answer of the good worker slower than the hedge delay, on a busy machine, is hedged to the
    // stalled one: that is a hedge, not a first try.)
    const metrics = await (await fetch(`${balancer.url}/metrics`)).text();
    const hedgedTo = (server: string) => Number(new RegExp(`distcalc_hedged_requests_total\\{server="${server}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    expect(hedgedTo('good')).toBe(1);
    expect(stalled.seen.requests).toBe(1 + hedgedTo('stalled'));
  });

  it('when HEDGE_AFTER_MS is auto, then once the usual answer time is known a stalled worker is hedged around', async () => {
    const balancer = track(await startBalancer({ hedgeAfterMs: 'auto', selection: 'round_robin' }));
    balancer.register(track(await startWorker('good')));
    await timeLight(balancer.url, 64); // the delay is learned from these answers
    const stalled = track(await fakeWorker('stalled', 'slow', { slowMs: STALL_MS }));
    balancer.register(stalled);
    const results = await timeLight(balancer.url, 6);
    expect(results.map((r) => r.servedBy)).toEqual(Array(6).fill('good'));
    expect(Math.max(...results.map((r) => r.ms))).toBeLessThan(STALL_MS / 2);
    // Every other request went to the stalled worker first (and a slow answer of the good one,
    // about one in twenty, may have been hedged there too).
    expect(stalled.seen.requests).toBeGreaterThanOrEqual(3);
  });

  it('when every request is slower than the hedge delay, then hedges stay within their budget', async () => {
    const balancer = track(await startBalancer({ hedgeAfterMs: 5, hedgeBudgetPercent: 10, selection: 'round_robin' }));
    // The stall is long enough that a hedge always wins, even when other test files keep both
    // cores busy and the good worker answers in tens of milliseconds.
    const stalled = track(await fakeWorker('stalled', 'slow', { slowMs: 250 }));
    balancer.register(stalled);
    balancer.register(track(await startWorker('good')));
    const results = await timeLight(balancer.url, 40);
    expect(results.map((r) => r.status)).toEqual(Array(40).fill(200));
    // 20 went to the stalled worker first: a burst of 10 hedges, then one per 10 light tries.
    const metrics = await (await fetch(`${balancer.url}/metrics`)).text();
    const hedgedTo = (server: string) =>
      Number(new RegExp(`distcalc_hedged_requests_total\\{server="${server}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    // When both cores are busy the good worker can be slower than 5 ms too, and its requests
    // are hedged to the stalled one: they spend the same budget.
    const hedged = hedgedTo('good') + hedgedTo('stalled');
    expect(hedged).toBeGreaterThanOrEqual(10);
    expect(hedged).toBeLessThanOrEqual(14);
    expect(results.filter((r) => r.servedBy === 'stalled')).toHaveLength(20 - hedgedTo('good'));
  });

  it('when hedging is off (the default), then a light request waits for the worker it was sent to', async () => {
    const balancer = track(await startBalancer());
    const stalled = track(await fakeWorker('stalled', 'slow', { slowMs: 300 }));
    balancer.register(stalled);
    balancer.register(track(await startWorker('good')));
    const results = await timeLight(balancer.url, 2);
    expect(results.map((r) => r.servedBy).sort()).toEqual(['good', 'stalled']);
    expect(Math.max(...results.map((r) => r.ms))).toBeGreaterThanOrEqual(290);
  });

  it('when MAX_TRIES is 1, then a request is never sent to a second worker, not even as a hedge', async () => {
    const balancer = track(await startBalancer({ hedgeAfterMs: 20, maxTries: 1 }));
    const stalled = track(await fakeWorker('stalled', 'slow', { slowMs: 300 }));
    balancer.register(stalled);
    balancer.register(track(await startWorker('good')));
    const results = await timeLight(balancer.url, 2);
    expect(results.map((r) => r.servedBy).sort()).toEqual(['good', 'stalled']);
  });

  it('when the request is heavy, then it is never hedged: a second copy would cost a whole calculation', async () => {
    const balancer = track(await startBalancer({ hedgeAfterMs: 20 }));
    const stalled = track(await fakeWorker('stalled', 'slow', { slowMs: 300 }));
    balancer.register(stalled);
    const heavy = (2n ** 89n - 1n).toString();
    const started = performance.now();
    const res = await fetch(`${balancer.url}/is_prime/${heavy}`);
    expect(res.headers.get('x-served-by')).toBe('stalled');
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    balancer.register(track(await startWorker('good')));
    const twice = await Promise.all([fetch(`${balancer.url}/is_prime/${heavy}`), fetch(`${balancer.url}/is_prime/${heavy}`)]);
    expect(twice.map((r) => r.headers.get('x-served-by')).sort()).toEqual(['good', 'stalled']);
    expect(stalled.seen.requests).toBe(2);
  });
});
