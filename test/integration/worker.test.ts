import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkerApp } from '../../src/worker/app.js';
import { WorkState } from '../../src/worker/work-state.js';
import { listen, startWorker, type TestWorker } from '../support/in-process.js';
import { silentLogger } from '../support/logger.js';
import { eventually, sleep } from '../support/processes.js';

describe('worker HTTP contract', () => {
  let worker: TestWorker;
  beforeAll(async () => {
    worker = await startWorker('server1');
  });
  afterAll(() => worker.close());

  it('when asked about 524287, then it answers prime with the number as a string and its name', async () => {
    const res = await request(worker.url).get('/is_prime/524287').expect(200).expect('content-type', /application\/json/);
    expect(res.body).toEqual({ number: '524287', is_prime: true, server: 'server1', elapsed_ms: expect.any(Number) });
  });

  it('when asked about 2^127-1 with leading zeros, then the number comes back exact and normalised', async () => {
    const n = (2n ** 127n - 1n).toString();
    const res = await request(worker.url).get(`/is_prime/000${n}`).expect(200);
    expect(res.body).toMatchObject({ number: n, is_prime: true });
  });

  it.each(['abc', '-5', '1e3', '0x1f', '%20', '%zz', '', '١'])('when the number is %j, then it is 400 invalid_number', async (raw) => {
    const res = await request(worker.url).get(`/is_prime/${raw}`).expect(400).expect('content-type', /json/);
    expect(res.body.error).toBe('invalid_number');
  });

  it('when the number is longer than MAX_DIGITS, then it is 400 number_too_large', async () => {
    const res = await request(worker.url).get(`/is_prime/${'9'.repeat(2001)}`).expect(400);
    expect(res.body.error).toBe('number_too_large');
  });

  it('when asked for its health, then it reports ok, its name and the work in flight', async () => {
    const res = await request(worker.url).get('/health_check').expect(200);
    expect(res.body).toEqual({ status: 'ok', server: 'server1', in_flight: 0 });
  });

  it('when the path is unknown or the method wrong, then it is a JSON 404 or 405', async () => {
    expect((await request(worker.url).get('/nope').expect(404)).body.error).toBe('not_found');
    expect((await request(worker.url).get('/is_prime/1/2').expect(404)).body.error).toBe('not_found');
    const res = await request(worker.url).post('/is_prime/7').expect(405).expect('allow', 'GET, HEAD');
    expect(res.body.error).toBe('method_not_allowed');
  });

  it('when a client sends a request id, then the worker echoes it', async () => {
    await request(worker.url).get('/is_prime/7').set('X-Request-Id', 'abc-123').expect('x-request-id', 'abc-123');
  });

  it('when /metrics is scraped after work, then it shows calculations by method', async () => {
    await request(worker.url).get('/is_prime/7').expect(200);
    await request(worker.url).get(`/is_prime/${2n ** 89n - 1n}`).expect(200);
    const res = await request(worker.url).get('/metrics').expect(200).expect('content-type', /text\/plain/);
    expect(res.text).toMatch(/distcalc_worker_calculations_total\{method="trial_division"\} [1-9]/);
    expect(res.text).toMatch(/distcalc_worker_calculations_total\{method="openssl"\} [1-9]/);
    expect(res.text).toContain('distcalc_worker_in_flight 0');
  });

  it('when a large check waiting for a place loses its client, then it is dropped unrun and counted as cancelled', async () => {
    const state = new WorkState();
    let release: () => void = () => {};
    let checks = 0;
    // One place, held by the first check until released.
    const isPrime = (): Promise<boolean> => ((checks += 1), new Promise((resolve) => (release = () => resolve(true))));
    const one = await listen(createWorkerApp({ name: 'server8', maxDigits: 2000, logger: silentLogger, state, isPrime, calculationSlots: 1 }));
    try {
      const large = String(2n ** 89n - 1n);
      const first = fetch(`${one.url}/is_prime/${large}`);
      const controller = new AbortController();
      const second = fetch(`${one.url}/is_prime/${large}`, { signal: controller.signal }).catch((err: Error) => err.name);
      expect(await eventually(async () => state.inFlight === 2, 2_000, 10)).toBe(true);
      controller.abort();
      expect(await second).toBe('AbortError');
      // The worker learns of the hang-up when the connection's close reaches it.
      await sleep(200);
      release();
      expect((await first).status).toBe(200);
      expect(await eventually(async () => state.inFlight === 0, 2_000, 10)).toBe(true);
      expect(checks).toBe(1);
      const metrics = await (await fetch(`${one.url}/metrics`)).text();
      expect(metrics).toMatch(/distcalc_worker_cancelled_total\{method="openssl"\} 1/);
    } finally {
      await one.close();
    }
  });

  it('when a large check waits for a place, then its elapsed_ms and the histogram hold its calculation time, not the wait', async () => {
    const state = new WorkState();
    // One place; each check takes 200 ms.
    const isPrime = (): Promise<boolean> => new Promise((resolve) => setTimeout(() => resolve(true), 200));
    const one = await listen(createWorkerApp({ name: 'server7', maxDigits: 2000, logger: silentLogger, state, isPrime, calculationSlots: 1 }));
    try {
      const large = String(2n ** 89n - 1n);
      const answers = await Promise.all([1, 2].map(async () => (await fetch(`${one.url}/is_prime/${large}`)).json() as Promise<{ elapsed_ms: number }>));
      // The second waited 200 ms for the first: 400 ms from its arrival, 200 of them calculating.
      for (const { elapsed_ms } of answers) expect(elapsed_ms).toBeLessThan(350);
      const metrics = await (await fetch(`${one.url}/metrics`)).text();
      const sum = Number(/distcalc_worker_calculation_seconds_sum\{method="openssl"\} ([\d.]+)/.exec(metrics)?.[1]);
      expect(sum).toBeLessThan(0.7);
    } finally {
      await one.close();
    }
  });

  it('when it is draining, then health says so with 503 and new work is refused with 503', async () => {
    const draining = await startWorker('server9');
    draining.state.startDraining();
    expect((await request(draining.url).get('/health_check').expect(503)).body).toEqual({ status: 'draining' });
    expect((await request(draining.url).get('/is_prime/7').expect(503)).body.error).toBe('draining');
    await draining.close();
  });
});
