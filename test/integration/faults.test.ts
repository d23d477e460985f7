import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ManagedProcess } from '../../scripts/lib/managed-process.js';
import { FAST, eventually, getJson, outageUnderLoad, runLoad, sleep, startProcessStack, type ProcessStack, type ServerView } from '../support/processes.js';

let stack: ProcessStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const servers = async (url: string) => (await getJson<{ servers: ServerView[] }>(`${url}/servers`)).servers;
const statusOf = async (url: string, name: string) => (await servers(url)).find((s) => s.name === name)?.status;

/** 2^2203-1: a prime that keeps a worker busy for a few hundred milliseconds. */
const HEAVY = (2n ** 2203n - 1n).toString();

describe('faults with real processes', () => {
  it('when a worker is killed with SIGKILL while requests flow, then no client sees an error and it returns after a restart', async () => {
    stack = await startProcessStack(2);
    const { balancerUrl, workers } = stack;
    const [, server2] = workers as [ManagedProcess, ManagedProcess];
    const port = server2.port!;
    const stop = new AbortController();
    const load = runLoad(balancerUrl, '/is_prime/524287', 8, stop.signal);
    await sleep(500);
    await server2.stop('SIGKILL');
    await sleep(700);
    stop.abort();
    const result = await load;
    expect(result.errors).toEqual([]);
    expect([...result.statuses.keys()]).toEqual([200]);
    expect(result.total).toBeGreaterThan(50);
    expect(await statusOf(balancerUrl, 'server2')).toBe('inactive');

    const restartedAt = Date.now();
    await server2.start({ PORT: String(port) });
    const back = await eventually(async () => (await statusOf(balancerUrl, 'server2')) === 'active', Number(FAST.HEALTH_CHECK_INTERVAL_MS) * 2);
    expect(back).toBe(true);
    expect(Date.now() - restartedAt).toBeLessThan(5_000);
    const again = await runLoad(balancerUrl, '/is_prime/524287', 2, AbortSignal.timeout(500));
    expect(again.servedBy.get('server2')).toBeGreaterThan(0);
  });

  it('when a worker gets SIGTERM with calculations in flight, then each finishes, none is lost, and it exits 0', async () => {
    // The calculations run at idle priority: while other test files keep both cores busy they
    // wait for the CPU, for seconds. Give them time to finish rather than time out the drain,
    // and the two that wait in the balancer's queue for a calculator time to get one.
    stack = await startProcessStack(2, { SHUTDOWN_TIMEOUT_MS: '60000', REQUEST_TIMEOUT_MS: '60000', QUEUE_TIMEOUT_MS: '60000' });
    const { balancerUrl, workers } = stack;
    const server1 = workers[0]!;
    const requests = Array.from({ length: 6 }, () => fetch(`${balancerUrl}/is_prime/${HEAVY}`).then(async (r) => ({ status: r.status, body: (await r.json()) as { is_prime?: boolean } })));
    const workerHealth = `http://127.0.0.1:${server1.port}/health_check`;
    const busy = await eventually(async () => (await getJson<{ in_flight: number }>(workerHealth)).in_flight >= 2, 3_000, 10);
    expect(busy).toBe(true);
    const exitCode = server1.stop('SIGTERM', 60_000);
    // New work during the drain goes to the other worker.
    const during = await runLoad(balancerUrl, '/is_prime/524287', 2, AbortSignal.timeout(400));
    const answers = await Promise.all(requests);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(answers.every((a) => a.body.is_prime === true)).toBe(true);
    expect(during.errors).toEqual([]);
    expect([...during.statuses.keys()]).toEqual([200]);
    expect(await exitCode).toBe(0);
    expect(server1.logs.some((r) => r.msg === 'deregistered from the balancer')).toBe(true);
  }, 90_000);

  it('when the balancer restarts, then the workers announce themselves again and traffic flows without restarting them', async () => {
    stack = await startProcessStack(2);
    const { balancer, workers } = stack;
    const port = balancer.port!;
    const url = `http://127.0.0.1:${port}`;
    expect(await balancer.stop('SIGTERM')).toBe(0);
    await balancer.start({ PORT: String(port) });
    const relearned = await eventually(async () => (await servers(url)).filter((s) => s.status === 'active').length === 2, 3_000);
    expect(relearned).toBe(true);
    const result = await runLoad(url, '/is_prime/6700417', 2, AbortSignal.timeout(400));
    expect(result.errors).toEqual([]);
    expect(new Set(result.servedBy.keys())).toEqual(new Set(['server1', 'server2']));
    expect(workers.every((w) => w.running)).toBe(true);
  });

  it('when bad numbers arrive through the stack, then each is a clear 400 and no worker is marked inactive', async () => {
    stack = await startProcessStack(2);
    const { balancerUrl } = stack;
    for (const bad of ['abc', '-7', '1e9', '0x10', '%F0%9F%92%A9', '9'.repeat(2001)]) {
      const res = await fetch(`${balancerUrl}/is_prime/${bad}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/^(invalid_number|number_too_large)$/);
    }
    expect((await servers(balancerUrl)).map((s) => [s.status, s.failures])).toEqual([
      ['active', 0],
      ['active', 0],
    ]);
  });
});

describe('worker under heavy load', () => {
  it('when several of the largest allowed numbers are being checked, then /health_check is still answered at once', async () => {
    const prime2000 = readFileSync(new URL('../fixtures/prime-2000-digits.txt', import.meta.url), 'utf8').trim();
    expect(prime2000).toHaveLength(2000);
    const worker = new ManagedProcess({
      name: 'server1',
      program: 'worker',
      // No balancer: the worker keeps trying to register in the background, which is fine here.
      env: { PORT: '0', HOST: '127.0.0.1', BALANCER_URL: 'http://127.0.0.1:9', LOG_LEVEL: 'warn', ANNOUNCE_RETRY_MAX_MS: '5000' },
    });
    const port = await worker.start();
    try {
      const url = `http://127.0.0.1:${port}`;
      for (let i = 0; i < 4; i++) void fetch(`${url}/is_prime/${prime2000}`).catch(() => undefined);
      // All four are being checked before anything is measured.
      await expect.poll(async () => (await getJson<{ in_flight: number }>(`${url}/health_check`)).in_flight, { timeout: 5_000 }).toBe(4);
      const latencies: number[] = [];
      for (let i = 0; i < 10; i++) {
        const started = performance.now();
        const res = await fetch(`${url}/health_check`);
        await res.arrayBuffer();
        latencies.push(performance.now() - started);
        expect(res.status).toBe(200);
      }
      expect(Math.max(...latencies)).toBeLessThan(250);
    } finally {
      await worker.close();
    }
  });
});

describe('a hung worker (SIGSTOP) with real processes', () => {
  it('when a worker is frozen while requests flow, then no client sees an error, it is taken out, and it is back after SIGCONT', async () => {
    stack = await startProcessStack(2, { REQUEST_TIMEOUT_MS: '300', HEALTH_CHECK_TIMEOUT_MS: '300' });
    const server2 = stack.workers[1]!;
    const { out, back, load: result } = await outageUnderLoad(stack.balancerUrl, {
      fault: () => server2.signal('SIGSTOP'),
      heal: () => server2.signal('SIGCONT'),
    });
    expect([out, back]).toEqual([true, true]);
    expect(result.errors).toEqual([]);
    expect([...result.statuses.keys()]).toEqual([200]);
    expect(result.servedBy.get('server2')).toBeGreaterThan(0);
  });
});
