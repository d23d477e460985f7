import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntilActive } from '../../scripts/lib/local-stack.js';
import { ManagedProcess } from '../../scripts/lib/managed-process.js';

export interface ProcessStack {
  balancer: ManagedProcess;
  workers: ManagedProcess[];
  balancerUrl: string;
  close(): Promise<void>;
}

/** Settings that make a test stack react in tenths of a second instead of seconds. */
export const FAST = {
  HEALTH_CHECK_INTERVAL_MS: '200',
  HEALTH_CHECK_TIMEOUT_MS: '500',
  IDLE_CHECK_AFTER_MS: '400',
  ANNOUNCE_INTERVAL_MS: '300',
  ANNOUNCE_RETRY_MAX_MS: '300',
  REQUEST_TIMEOUT_MS: '10000',
  LOG_LEVEL: 'info',
} as const;

/** A job-journal folder of the test's own: the default `data/` is shared by every test running at once, and a balancer refuses a folder another one holds. */
export function freshDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'distcalc-data-'));
}

/** A real balancer and workers as child processes on ephemeral loopback ports. */
export async function startProcessStack(workerCount = 2, env: Record<string, string> = {}): Promise<ProcessStack> {
  const common = { ...FAST, ...env, HOST: '127.0.0.1' };
  // Its job journal in a folder of its own (kept if the test restarts the balancer).
  const dataDir = env.DATA_DIR ?? freshDataDir();
  const balancer = new ManagedProcess({ name: 'balancer', program: 'balancer', env: { ...common, DATA_DIR: dataDir, PORT: '0' } });
  const port = await balancer.start();
  const balancerUrl = `http://127.0.0.1:${port}`;
  const workers = Array.from(
    { length: workerCount },
    (_, i) =>
      new ManagedProcess({
        name: `server${i + 1}`,
        program: 'worker',
        env: { ...common, PORT: '0', SERVER_NAME: `server${i + 1}`, BALANCER_URL: balancerUrl },
      }),
  );
  await Promise.all(workers.map((w) => w.start()));
  await Promise.all(workers.map((w) => waitUntilActive(balancerUrl, `http://127.0.0.1:${w.port}`)));
  return {
    balancer,
    workers,
    balancerUrl,
    close: async () => {
      await Promise.all([balancer, ...workers].map((p) => p.close()));
    },
  };
}

export interface LoadResult {
  statuses: Map<number, number>;
  servedBy: Map<string, number>;
  errors: string[];
  total: number;
}

/**
 * Keeps `concurrency` clients sending `path` back to back until `signal` aborts, counting
 * every status, who served it, and any request that failed outright.
 */
export async function runLoad(url: string, path: string, concurrency: number, signal: AbortSignal): Promise<LoadResult> {
  const result: LoadResult = { statuses: new Map(), servedBy: new Map(), errors: [], total: 0 };
  const client = async (): Promise<void> => {
    while (!signal.aborted) {
      try {
        const res = await fetch(`${url}${path}`);
        await res.arrayBuffer();
        result.total += 1;
        result.statuses.set(res.status, (result.statuses.get(res.status) ?? 0) + 1);
        const server = res.headers.get('x-served-by') ?? 'none';
        result.servedBy.set(server, (result.servedBy.get(server) ?? 0) + 1);
      } catch (err) {
        result.total += 1;
        result.errors.push(err instanceof Error ? `${err.message} ${String(err.cause ?? '')}` : String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  return result;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  return (await res.json()) as T;
}

export interface ServerView {
  name: string;
  status: string;
  served: number;
  failures: number;
}

/** Polls until `check` passes or the time is up; returns whether it passed. */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number, stepMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(stepMs);
  }
  return check();
}

export interface OutageRun {
  /** Whether the balancer took the worker out, and put it back after `heal`. */
  out: boolean;
  back: boolean;
  load: LoadResult;
}

/**
 * Keeps four clients busy while `fault` hits server2, waits for the balancer to take it out,
 * applies `heal`, waits for it to come back, and returns what the clients saw.
 */
export async function outageUnderLoad(
  balancerUrl: string,
  { fault, heal, backWithinMs = 3_000 }: { fault: () => void; heal: () => void; backWithinMs?: number },
): Promise<OutageRun> {
  const statusOf = async () =>
    (await getJson<{ servers: ServerView[] }>(`${balancerUrl}/servers`)).servers.find((s) => s.name === 'server2')?.status;
  const stop = new AbortController();
  const load = runLoad(balancerUrl, '/is_prime/524287', 4, stop.signal);
  await sleep(300);
  fault();
  const out = await eventually(async () => (await statusOf()) === 'inactive', 3_000);
  await sleep(300);
  heal();
  const back = await eventually(async () => (await statusOf()) === 'active', backWithinMs);
  await sleep(300);
  stop.abort();
  return { out, back, load: await load };
}
