import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../../src/balancer/http/metrics.js';
import { AdmissionQueue } from '../../../../src/balancer/routing/admission.js';
import { hedgedTry, type TryDeps } from '../../../../src/balancer/routing/hedged-try.js';
import { createHedging } from '../../../../src/balancer/routing/hedging.js';
import type { ForwardResult, UpstreamClient } from '../../../../src/balancer/upstream/client.js';
import { Registry } from '../../../../src/balancer/workers/registry.js';
import { createSelector } from '../../../../src/balancer/workers/selection.js';

const STALLED = 'http://127.0.0.1:5001';
const GOOD = 'http://127.0.0.1:5002';

/** A worker at STALLED that answers nothing (until the try's time is up or it is cancelled), and a good one. */
function stalledAndGood(): UpstreamClient {
  return {
    forward(origin, _path, _id, { timeoutMs, signal }) {
      if (origin === GOOD) {
        const body = Buffer.from('{"number":"7","is_prime":true}');
        return Promise.resolve<ForwardResult>({ ok: true, status: 200, contentType: 'application/json', retryAfter: undefined, body });
      }
      return new Promise<ForwardResult>((resolve) => {
        const timer = setTimeout(() => resolve({ ok: false, kind: 'timeout', message: `no answer within ${timeoutMs} ms` }), timeoutMs);
        signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve({ ok: false, kind: 'aborted', message: 'cancelled' });
        });
      });
    },
    probe: () => Promise.resolve({ ok: true }),
    close: () => Promise.resolve(),
  };
}

describe('hedgedTry', () => {
  it('when no hedge is left in the budget as the hedge delay is up, then the request is hedged once the budget refills', async () => {
    const registry = new Registry({ maxServers: 8 });
    const stalled = registry.register(STALLED, 'stalled');
    registry.register(GOOD, 'good');
    const admission = new AdmissionQueue({ registry, select: createSelector('round_robin', registry), maxQueue: 10, queueTimeoutMs: 1_000 });
    const hedging = createHedging(5, 10)!;
    // Spent by the stall's first requests: a stall that catches more than the burst.
    while (hedging.budget.available) hedging.budget.spend();
    const deps: TryDeps = { registry, admission, upstream: stalledAndGood(), metrics: createMetrics(registry, { defaults: false }), hedging, maxTries: 3 };

    const hangUp = new AbortController();
    registry.begin(stalled);
    const started = performance.now();
    const answered = hedgedTry(deps, stalled, { path: '/is_prime/7', requestId: 'r1', heavy: false, timeoutMs: 2_000, signal: hangUp.signal, tried: new Set([STALLED]) }, () => {});
    // Other requests' tries refill the budget after the hedge delay is up.
    setTimeout(() => {
      for (let i = 0; i < 10; i++) hedging.budget.earn();
    }, 20);
    const result = await answered;
    hangUp.abort();

    expect(result?.server.name).toBe('good');
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('when hedging cannot go before the try runs out of time, then the try ends with its first copy', async () => {
    const registry = new Registry({ maxServers: 8 });
    const stalled = registry.register(STALLED, 'stalled');
    const admission = new AdmissionQueue({ registry, select: createSelector('round_robin', registry), maxQueue: 10, queueTimeoutMs: 1_000 });
    const deps: TryDeps = { registry, admission, upstream: stalledAndGood(), metrics: createMetrics(registry, { defaults: false }), hedging: createHedging(5, 10), maxTries: 3 };

    registry.begin(stalled);
    const failures: string[] = [];
    const result = await hedgedTry(deps, stalled, { path: '/is_prime/7', requestId: 'r2', heavy: false, timeoutMs: 100, signal: new AbortController().signal, tried: new Set([STALLED]) }, (_s, f) => failures.push(f.kind));

    expect(result).toBeUndefined();
    expect(failures).toEqual(['timeout']);
    expect(stalled.inFlight).toBe(0);
  });

  it('when the first copy answers after its hedge has won, then that answer still counts for its worker', async () => {
    const registry = new Registry({ maxServers: 8 });
    const slow = registry.register(STALLED, 'slow');
    registry.register(GOOD, 'good');
    const admission = new AdmissionQueue({ registry, select: createSelector('round_robin', registry), maxQueue: 10, queueTimeoutMs: 1_000 });
    const upstream: UpstreamClient = {
      ...stalledAndGood(),
      forward: (origin) => {
        const body = Buffer.from('{"number":"7","is_prime":true}');
        const answer: ForwardResult = { ok: true, status: 200, contentType: 'application/json', retryAfter: undefined, body };
        return new Promise((resolve) => setTimeout(() => resolve(answer), origin === STALLED ? 100 : 0));
      },
    };
    const deps: TryDeps = { registry, admission, upstream, metrics: createMetrics(registry, { defaults: false }), hedging: createHedging(5, 10), maxTries: 3 };

    registry.begin(slow);
    const result = await hedgedTry(deps, slow, { path: '/is_prime/7', requestId: 'r3', heavy: false, timeoutMs: 2_000, signal: new AbortController().signal, tried: new Set([STALLED]) }, () => {});
    expect(result?.server.name).toBe('good');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(slow).toMatchObject({ served: 1, inFlight: 0 });
  });
});
