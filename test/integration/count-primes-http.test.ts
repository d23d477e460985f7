import { readFileSync } from 'node:fs';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManagedProcess } from '../../scripts/lib/managed-process.js';
import { createWorkerApp } from '../../src/worker/app.js';
import { CancelledError } from '../../src/worker/calculator.js';
import { MAX_TO } from '../../src/worker/count-range.js';
import type { RangeCount } from '../../src/worker/sieve/prime-counter.js';
import { WorkState } from '../../src/worker/work-state.js';
import { listen, type Running } from '../support/in-process.js';
import { silentLogger } from '../support/logger.js';
import { eventually, sleep } from '../support/processes.js';
import { mapLimited, primesieve, requirePrimesieve, sampleRanges } from '../support/primesieve.js';

describe('GET /count_primes on a worker', () => {
  let worker: Running;
  let state: WorkState;
  beforeAll(async () => {
    state = new WorkState();
    worker = await listen(createWorkerApp({ name: 'server1', maxDigits: 2000, logger: silentLogger, state, maxTaskSpan: 1_000_000 }));
  });
  afterAll(() => worker.close());

  it('when asked for a range, then it answers the counts and the first and last prime as decimal strings, with its name', async () => {
    const res = await request(worker.url).get('/count_primes/0/100').expect(200).expect('content-type', /application\/json/);
    expect(res.body).toEqual({
      from: '0', to: '100', primes: '25', twin_primes: '8', first_prime: '2', last_prime: '97', elapsed_ms: expect.any(Number), server: 'server1',
    });
  });

  it('when the ends have leading zeros, then they come back in canonical form', async () => {
    const res = await request(worker.url).get('/count_primes/0024/00028').expect(200);
    expect(res.body).toMatchObject({ from: '24', to: '28', primes: '0', twin_primes: '0', first_prime: null, last_prime: null });
  });

  it.each([
    ['abc/5', /from: expected a non-negative integer/],
    ['5/-1', /to: expected/],
    ['1e3/5000', /from: /],
    ['/5', /from: /],
    ['9/8', /from must not be greater than to/],
    [`0/${MAX_TO + 1}`, /above the largest number supported/],
    ['0/1000000', /MAX_TASK_SPAN/],
  ])('when the range is %j, then it is 400 invalid_range with a message saying why', async (range, message) => {
    const res = await request(worker.url).get(`/count_primes/${range}`).expect(400).expect('content-type', /json/);
    expect(res.body.error).toBe('invalid_range');
    expect(res.body.message).toMatch(message);
  });

  it('when the path has other than two numbers or the method is wrong, then it is a JSON 404 or 405', async () => {
    expect((await request(worker.url).get('/count_primes/5').expect(404)).body.error).toBe('not_found');
    expect((await request(worker.url).get('/count_primes/1/2/3').expect(404)).body.error).toBe('not_found');
    const res = await request(worker.url).post('/count_primes/1/2').expect(405).expect('allow', 'GET, HEAD');
    expect(res.body.error).toBe('method_not_allowed');
  });

  it('when /metrics is scraped after counts, then it shows them under method "sieve"', async () => {
    await request(worker.url).get('/count_primes/0/1000').expect(200);
    const res = await request(worker.url).get('/metrics').expect(200);
    expect(res.text).toMatch(/distcalc_worker_calculations_total\{method="sieve"\} [1-9]/);
    expect(res.text).toMatch(/distcalc_worker_calculation_seconds_count\{method="sieve"\} [1-9]/);
  });

  it('when it starts draining during a long count, then the count stops and answers 503 draining at once, so the task runs elsewhere', async () => {
    const draining = new WorkState();
    // A count that runs until it is cancelled.
    const countPrimes = (_from: number, _to: number, signal: AbortSignal) =>
      new Promise<RangeCount>((_resolve, reject) => signal.addEventListener('abort', () => reject(new CancelledError()), { once: true }));
    const other = await listen(createWorkerApp({ name: 'server9', maxDigits: 2000, logger: silentLogger, state: draining, countPrimes }));
    try {
      const answer = fetch(`${other.url}/count_primes/0/1000`);
      expect(await eventually(async () => draining.inFlight === 1, 2_000, 10)).toBe(true);
      const started = performance.now();
      draining.startDraining();
      const res = await answer;
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: string }).error).toBe('draining');
      expect(performance.now() - started).toBeLessThan(500);
      expect(draining.inFlight).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('when it is draining, then a count is refused with 503 draining', async () => {
    const draining = new WorkState();
    const other = await listen(createWorkerApp({ name: 'server9', maxDigits: 2000, logger: silentLogger, state: draining }));
    draining.startDraining();
    const res = await request(other.url).get('/count_primes/0/100').expect(503).expect('retry-after', '1');
    expect(res.body.error).toBe('draining');
    await other.close();
  });
});

describe('counting on a worker process, through its calculator', () => {
  let worker: ManagedProcess;
  let url: string;
  let calculatorPid: number;
  // Each test fails, saying what to install, where the reference is missing.
  beforeEach(requirePrimesieve);
  beforeAll(async () => {
    worker = new ManagedProcess({ name: 'server1', program: 'worker', env: { HOST: '127.0.0.1', PORT: '0', CAPACITY: '2', BALANCER_URL: 'http://127.0.0.1:9', LOG_LEVEL: 'debug' } });
    const port = await worker.start();
    calculatorPid = Number((await worker.waitForLog((r) => r.msg === 'calculator ready')).calculatorPid);
    url = `http://127.0.0.1:${port}`;
  });
  afterAll(() => worker.close());

  async function count(from: number, to: number): Promise<RangeCount> {
    const res = await fetch(`${url}/count_primes/${from}/${to}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, string | null>;
    const number = (s: string | null | undefined): number | null => (s == null ? null : Number(s));
    return { primes: Number(body.primes), twinPrimes: Number(body.twin_primes), firstPrime: number(body.first_prime), lastPrime: number(body.last_prime) };
  }

  it('when ranges are counted on its sieving threads, then they agree with primesieve', async () => {
    const ranges = sampleRanges(7).filter((_, i) => i % 12 === 0);
    const answers = await Promise.all(ranges.map(([from, to]) => count(from, to)));
    const expected = await mapLimited(ranges, 4, ([from, to]) => primesieve(from, to));
    ranges.forEach(([from, to], i) => expect(answers[i], `[${from}, ${to}]`).toEqual(expected[i]));
  });

  it('when it is busy with more counts than it has threads, then health checks and small numbers are still answered at once', async () => {
    const controller = new AbortController();
    // Each of these would keep a sieving thread busy for many seconds.
    const long = Array.from({ length: 4 }, (_, i) =>
      fetch(`${url}/count_primes/${1e15 + i * 1e10}/${1e15 + (i + 1) * 1e10 - 1}`, { signal: controller.signal }).then(
        (res) => `answered ${res.status}`,
        (err: Error) => err.name,
      ),
    );
    // All four are being counted before anything is measured.
    const inFlight = async () => ((await (await fetch(`${url}/health_check`)).json()) as { in_flight: number }).in_flight;
    await expect.poll(inFlight, { timeout: 5_000 }).toBe(4);
    const slowest = { health: 0, light: 0 };
    for (let i = 0; i < 10; i++) {
      for (const [kind, path] of [['health', '/health_check'], ['light', '/is_prime/524287']] as const) {
        const started = performance.now();
        const res = await fetch(`${url}${path}`);
        expect(res.status).toBe(200);
        slowest[kind] = Math.max(slowest[kind], performance.now() - started);
      }
    }
    expect(slowest.health).toBeLessThan(250);
    expect(slowest.light).toBeLessThan(250);
    controller.abort();
    // Still counting when the client gave up: none had answered.
    expect(await Promise.all(long)).toEqual(Array(4).fill('AbortError'));
  });

  it('when the client hangs up on a long count, then the count stops, is counted as cancelled, and its thread takes new work', async () => {
    const cancelledBefore = await cancelledCount();
    const controller = new AbortController();
    const started = cpuOfCalculator();
    const long = fetch(`${url}/count_primes/${2e15}/${2e15 + 1e10 - 1}`, { signal: controller.signal }).catch(() => undefined);
    // Running: past its set-up (base primes to 4.5·10^7, 2.7 million sieving primes), into its segments.
    if (started === undefined) await sleep(1_000);
    else await eventually(async () => cpuOfCalculator()! - started >= 100, 20_000, 50);
    const atAbort = cpuOfCalculator();
    controller.abort();
    await long;
    expect(await eventually(async () => (await cancelledCount()) > cancelledBefore, 20_000)).toBe(true);
    await worker.waitForLog((r) => r.msg === 'client gone during its count: stopped' || r.msg === 'client gone before its count started: dropped', 2_000);
    // The whole count is tens of seconds of CPU; stopping it takes one segment (CPU time is
    // compared: at idle priority on a busy machine the thread may wait for the CPU first).
    if (atAbort !== undefined) expect(cpuOfCalculator()! - atAbort).toBeLessThan(30);
    // Both threads free again: two counts answered.
    expect(await Promise.all([count(0, 1_000_000), count(0, 1_000_000)])).toEqual(Array(2).fill({ primes: 78498, twinPrimes: 8169, firstPrime: 2, lastPrime: 999983 }));
  });

  /** The calculator's CPU ticks (10 ms) so far, where /proc tells. */
  function cpuOfCalculator(): number | undefined {
    try {
      const fields = readFileSync(`/proc/${calculatorPid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return Number(fields[11]) + Number(fields[12]);
    } catch {
      return undefined;
    }
  }

  async function cancelledCount(): Promise<number> {
    const text = await (await fetch(`${url}/metrics`)).text();
    return Number(/distcalc_worker_cancelled_total\{method="sieve"\} (\d+)/.exec(text)?.[1] ?? 0);
  }
});
