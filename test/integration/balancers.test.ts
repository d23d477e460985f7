import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitUntilActive } from '../../scripts/lib/local-stack.js';
import { ManagedProcess } from '../../scripts/lib/managed-process.js';
import { eventually, FAST, getJson, sleep } from '../support/processes.js';

/** Two balancers side by side and two workers that announce themselves to both. */
interface Pair {
  balancers: ManagedProcess[];
  urls: string[];
  workers: ManagedProcess[];
}

let running: ManagedProcess[] = [];
afterEach(async () => {
  await Promise.all(running.map((p) => p.close()));
  running = [];
});

async function startPair(env: Record<string, string> = {}): Promise<Pair> {
  const common = { ...FAST, ...env, HOST: '127.0.0.1' };
  const balancers = [1, 2].map(
    (n) =>
      new ManagedProcess({
        name: `balancer${n}`,
        program: 'balancer',
        env: { ...common, PORT: '0', DATA_DIR: mkdtempSync(join(tmpdir(), `distcalc-b${n}-`)) },
      }),
  );
  running.push(...balancers);
  const urls = (await Promise.all(balancers.map((b) => b.start()))).map((port) => `http://127.0.0.1:${port}`);
  const workers = [1, 2].map(
    (n) =>
      new ManagedProcess({
        name: `server${n}`,
        program: 'worker',
        env: { ...common, PORT: '0', SERVER_NAME: `server${n}`, BALANCER_URL: urls.join(',') },
      }),
  );
  running.push(...workers);
  await Promise.all(workers.map((w) => w.start()));
  await Promise.all(urls.flatMap((url) => workers.map((w) => waitUntilActive(url, `http://127.0.0.1:${w.port}`))));
  return { balancers, urls, workers };
}

/**
 * Clients that know both balancers, as a DNS name with two addresses or a client-side list
 * gives them: each request goes to its client's balancer and, if that one cannot be reached
 * or drops the connection, to the other. Counts what no balancer answered with a 200.
 */
async function loadOnEither(urls: string[], signal: AbortSignal) {
  let answered = 0;
  const lost: string[] = [];
  const client = async (first: number): Promise<void> => {
    while (!signal.aborted) {
      let outcome = 'no balancer answered';
      for (const url of [urls[first]!, urls[1 - first]!]) {
        try {
          const res = await fetch(`${url}/is_prime/524287`);
          const body = (await res.json()) as { is_prime?: boolean };
          outcome = res.status === 200 && body.is_prime === true ? 'ok' : `status ${res.status}`;
          break;
        } catch {
          // connection refused or reset: try the other balancer
        }
      }
      if (outcome === 'ok') answered += 1;
      else lost.push(outcome);
    }
  };
  await Promise.all([0, 1, 0, 1].map(client));
  return { answered, lost };
}

const activeAt = async (url: string) =>
  (await getJson<{ servers: Array<{ status: string }> }>(`${url}/servers`)).servers.filter((s) => s.status === 'active').length;

describe('several balancers with the same workers, with real processes', () => {
  it.each(['SIGTERM', 'SIGKILL'] as const)(
    'when one balancer is stopped with %s under load, then a client that can reach either loses nothing, and the restarted one refills its registry within an announce period',
    async (signal) => {
      const { balancers, urls } = await startPair();
      const stop = new AbortController();
      const load = loadOnEither(urls, stop.signal);
      await sleep(400);
      const port = balancers[0]!.port!;
      await balancers[0]!.stop(signal);
      await sleep(400);
      await balancers[0]!.start({ PORT: String(port) });
      const startedAt = Date.now();
      const refilled = await eventually(async () => (await activeAt(urls[0]!)) === 2, 3_000, 20);
      const refillMs = Date.now() - startedAt;
      await sleep(300);
      stop.abort();
      const { answered, lost } = await load;
      expect(lost).toEqual([]);
      expect(answered).toBeGreaterThan(100);
      expect(refilled).toBe(true);
      // One announce interval (FAST: 300 ms) or one capped retry, plus the time to poll.
      expect(refillMs).toBeLessThan(Number(FAST.ANNOUNCE_INTERVAL_MS) + 700);
    },
  );

  it('when a balancer running a job is killed and started again, then the job resumes and its count is exact, while the other balancer keeps serving', async () => {
    const { balancers, urls } = await startPair({ TASK_TARGET_MS: '80', CAPACITY: '1' });
    const submitted = await fetch(`${urls[0]}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'count_primes', from: '0', to: '1000000000' }),
    });
    const { job } = (await submitted.json()) as { job: { id: string } };
    type View = { status: string; progress: { fraction: number }; result: { primes: string; twin_primes: string } | null };
    const view = async (wait = 0) => (await getJson<{ job: View }>(`${urls[0]}/jobs/${job.id}?wait=${wait}`)).job;
    expect(await eventually(async () => (await view()).progress.fraction >= 0.3, 30_000, 20)).toBe(true);
    const port = balancers[0]!.port!;
    await balancers[0]!.stop('SIGKILL');
    const meanwhile = await fetch(`${urls[1]}/is_prime/524287`);
    expect(meanwhile.status).toBe(200);
    await balancers[0]!.start({ PORT: String(port) });
    const done = await view(60);
    expect(done.status).toBe('done');
    // π(10^9) and the twin prime pairs below 10^9.
    expect(done.result).toMatchObject({ primes: '50847534', twin_primes: '3424506' });
  }, 90_000);
});
