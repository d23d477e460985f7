import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { fakeWorker, type Misbehaviour } from '../support/fake-worker.js';
import { closeAfterEach, startBalancer, startWorker } from '../support/in-process.js';
import { captureLogger } from '../support/logger.js';
import { runLoad } from '../support/processes.js';

const track = closeAfterEach();

describe('misbehaving workers while requests flow', () => {
  it.each<[Misbehaviour, string]>([
    ['error500', 'answered 500'],
    ['garbage', 'not HTTP'],
    ['redirect', 'redirect'],
    ['html200', 'text/html'],
  ])('when a worker misbehaves with %s, then clients see no error and it is taken out', async (behaviour, lastError) => {
    const balancer = track(await startBalancer({ requestTimeoutMs: 1_000 }));
    const bad = track(await fakeWorker('bad', behaviour));
    balancer.register(bad);
    balancer.register(track(await startWorker('good')));
    const result = await runLoad(balancer.url, '/is_prime/524287', 4, AbortSignal.timeout(400));
    expect(result.errors).toEqual([]);
    expect([...result.statuses.keys()]).toEqual([200]);
    expect([...result.servedBy.keys()]).toEqual(['good']);
    expect(balancer.registry.get(bad.url)?.status).toBe('inactive');
    expect(balancer.registry.get(bad.url)?.lastError).toContain(lastError);
  });

  it('when bookkeeping in the balancer throws on an answer, then that client gets a JSON error and the next is served', async () => {
    const balancer = track(await startBalancer());
    balancer.register(track(await startWorker('good')));
    const recordAnswer = balancer.registry.recordAnswer.bind(balancer.registry);
    let broken = true;
    balancer.registry.recordAnswer = (...args: Parameters<typeof recordAnswer>) => {
      if (broken) {
        broken = false;
        throw new Error('a bug in the bookkeeping');
      }
      recordAnswer(...args);
    };
    const first = await request(balancer.url).get('/is_prime/97');
    expect(first.status).toBeGreaterThanOrEqual(500);
    expect(first.body.error).toEqual(expect.any(String));
    await request(balancer.url).get('/is_prime/97').expect(200);
  });

  it('when a worker is slow at heavy checks but its health check answers, then the timed-out request is retried and the worker kept', async () => {
    const balancer = track(await startBalancer({ requestTimeoutMs: 1_000 }));
    const slow = track(await fakeWorker('slow', 'slow', { slowMs: 3_000 }));
    // The other worker answers at once: a real one's heavy check, on a loaded CI machine, has
    // come close enough to the try's time to be cut off too, and this test is about the slow one.
    const prompt = track(await fakeWorker('prompt', 'slow', { slowMs: 0 }));
    balancer.register(slow);
    balancer.register(prompt);
    // 2^64 + 13: a heavy check, which may take a worker long.
    const result = await runLoad(balancer.url, '/is_prime/18446744073709551629', 2, AbortSignal.timeout(1_500));
    expect(result.errors).toEqual([]);
    expect([...result.statuses.keys()]).toEqual([200]);
    expect(slow.seen.requests).toBeGreaterThan(0);
    expect(balancer.registry.get(slow.url)).toMatchObject({ status: 'active' });
    expect(balancer.registry.get(slow.url)?.lastError).toMatch(/no answer within 1000 ms; health check passed/);
  });

  it('when a worker answers its health check but not a light check, then it is taken out after one timed-out try and the next requests do not wait for it', async () => {
    // The default interval: an inactive worker's first probe comes after 312-625 ms.
    const balancer = track(await startBalancer({ requestTimeoutMs: 200, healthCheckIntervalMs: 5_000 }));
    const hung = track(await fakeWorker('hung', 'hang', { healthy: true }));
    balancer.register(hung);
    balancer.register(track(await startWorker('good')));
    await request(balancer.url).get('/is_prime/97').expect(200).expect('x-served-by', 'good');
    await expect.poll(() => balancer.registry.get(hung.url)?.status, { timeout: 1_000 }).toBe('inactive');
    expect(balancer.registry.get(hung.url)?.lastError).toMatch(/no answer within 200 ms to a light check, though its health check passed/);
    for (let i = 0; i < 3; i++) await request(balancer.url).get('/is_prime/97').expect(200).expect('x-served-by', 'good');
    expect(hung.seen.requests).toBe(1);
  });

  it('when a worker hangs entirely, then it is taken out after its try and its probe time out', async () => {
    const balancer = track(await startBalancer({ requestTimeoutMs: 200, healthCheckTimeoutMs: 200 }));
    const hung = track(await fakeWorker('hung', 'hang', { healthy: false }));
    balancer.register(hung);
    balancer.register(track(await startWorker('good')));
    const res = await request(balancer.url).get('/is_prime/97').expect(200);
    expect(res.headers['x-served-by']).toBe('good');
    // The probe runs in the background: the client's request did not wait for it.
    await expect.poll(() => balancer.registry.get(hung.url)?.status, { timeout: 1_000 }).toBe('inactive');
  });

  it('when FAILURE_THRESHOLD is 3, then a worker answering 500 stays in rotation for two failures', async () => {
    const balancer = track(await startBalancer({ failureThreshold: 3 }));
    const bad = track(await fakeWorker('bad', 'error500'));
    balancer.register(bad);
    balancer.register(track(await startWorker('good')));
    // Requests take turns: every other one goes to `bad` first and is then retried on `good`.
    for (let i = 0; i < 4; i++) await request(balancer.url).get('/is_prime/97').expect(200).expect('x-served-by', 'good');
    expect(balancer.registry.get(bad.url)).toMatchObject({ status: 'active', consecutiveFailures: 2 });
    for (let i = 0; i < 2; i++) await request(balancer.url).get('/is_prime/97').expect(200);
    expect(balancer.registry.get(bad.url)?.status).toBe('inactive');
  });

  it('when every worker fails, then a request is tried on at most MAX_TRIES of them', async () => {
    const balancer = track(await startBalancer({ maxTries: 2 }));
    const workers = [];
    for (const name of ['a', 'b', 'c', 'd']) {
      const w = track(await fakeWorker(name, 'error500'));
      workers.push(w);
      balancer.register(w);
    }
    await request(balancer.url).get('/is_prime/97').expect(502);
    expect(workers.reduce((n, w) => n + w.seen.requests, 0)).toBe(2);
  });

  it('when the deadline passes, then the client gets 504 even though tries remain', async () => {
    const balancer = track(await startBalancer({ requestTimeoutMs: 300, requestDeadlineMs: 400, healthCheckTimeoutMs: 100 }));
    for (const name of ['a', 'b', 'c']) balancer.register(track(await fakeWorker(name, 'slow', { slowMs: 2_000 })));
    const started = Date.now();
    const res = await request(balancer.url).get('/is_prime/97').expect(504);
    expect(res.body.error).toBe('upstream_timeout');
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('when the client hangs up, then the upstream request is cancelled', async () => {
    const balancer = track(await startBalancer());
    const slow = track(await fakeWorker('slow', 'slow', { slowMs: 5_000 }));
    balancer.register(slow);
    await fetch(`${balancer.url}/is_prime/97`, { signal: AbortSignal.timeout(200) }).catch(() => undefined);
    await expect.poll(() => slow.seen.closedEarly).toBe(1);
    expect(slow.seen.requests).toBe(1);
    expect(balancer.registry.get(slow.url)).toMatchObject({ status: 'active', inFlight: 0, failures: 0 });
  });

  it('when the client hangs up, then its request line says it got no answer, not a 200', async () => {
    const { logger, records } = captureLogger('info');
    const balancer = track(await startBalancer({}, logger));
    balancer.register(track(await fakeWorker('slow', 'slow', { slowMs: 5_000 })));
    await fetch(`${balancer.url}/is_prime/97`, { signal: AbortSignal.timeout(200) }).catch(() => undefined);
    await expect.poll(() => records.find((r) => r.msg === 'request aborted')).toMatchObject({ res: { statusCode: null } });
  });
});

describe('overload', () => {
  it('when a burst far above capacity arrives, then every request gets an answer or a 503 overloaded, and the queue drains', async () => {
    const balancer = track(await startBalancer({ maxQueue: 10, queueTimeoutMs: 2_000, requestTimeoutMs: 5_000 }));
    const slow = track(await fakeWorker('slow', 'slow', { slowMs: 50 }));
    // Capacity 2 bounds heavy calculations (numbers of 2^64 and up), so a heavy burst queues.
    balancer.registry.register(slow.url, 'slow', 2);
    const heavy = (2n ** 89n - 1n).toString();
    const replies = await Promise.all(
      Array.from({ length: 200 }, () =>
        fetch(`${balancer.url}/is_prime/${heavy}`).then(async (r) => ({
          status: r.status,
          retryAfter: r.headers.get('retry-after'),
          body: (await r.json()) as { error?: string },
        })),
      ),
    );
    const ok = replies.filter((r) => r.status === 200);
    const refused = replies.filter((r) => r.status === 503);
    expect(ok.length + refused.length).toBe(200);
    expect(ok.length).toBeGreaterThanOrEqual(12);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.body.error).toBe('overloaded');
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    expect(slow.seen.requests).toBe(ok.length);
    expect(balancer.admission.depth).toBe(0);
    await request(balancer.url).get(`/is_prime/${heavy}`).expect(200);
  });
});
