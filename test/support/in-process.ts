import { afterEach } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';
import type { Server } from 'node:net';
import { buildBalancer } from '../../src/balancer/build.js';
import { loadBalancerConfig, type BalancerConfig } from '../../src/balancer/config.js';
import type { JobManager } from '../../src/balancer/jobs/job-manager.js';
import type { AdmissionQueue } from '../../src/balancer/routing/admission.js';
import type { HealthChecker } from '../../src/balancer/workers/health-checker.js';
import type { Registry } from '../../src/balancer/workers/registry.js';
import { createHttpServer } from '../../src/shared/http-server.js';
import type { Logger } from '../../src/shared/logger.js';
import { createWorkerApp } from '../../src/worker/app.js';
import { WorkState } from '../../src/worker/work-state.js';
import { silentLogger } from './logger.js';

export interface Running {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Listens on an ephemeral loopback port, as main.ts does on its configured one. */
export async function listen(app: RequestListener): Promise<Running> {
  const http = createHttpServer(app);
  await new Promise<void>((resolve) => http.server.listen(0, '127.0.0.1', resolve));
  const { port } = http.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server: http.server, close: () => http.close() };
}

export interface TestWorker extends Running {
  name: string;
  state: WorkState;
}

export async function startWorker(
  name: string,
  { isPrime, logger = silentLogger, maxDigits = 2000 }: { isPrime?: (n: bigint) => Promise<boolean>; logger?: Logger; maxDigits?: number } = {},
): Promise<TestWorker> {
  const state = new WorkState();
  const running = await listen(createWorkerApp({ name, maxDigits, logger, state, ...(isPrime ? { isPrime } : {}) }));
  return { ...running, name, state };
}

export interface TestBalancer extends Running {
  registry: Registry;
  admission: AdmissionQueue;
  healthChecker: HealthChecker;
  jobs: JobManager;
  /** Where its job journal is (a new temporary folder unless `dataDir` was given). */
  dataDir: string;
  register(worker: { url: string; name: string }): void;
}

/**
 * The real balancer (as main.ts wires it) on an ephemeral port, its job journal in a new
 * temporary folder unless `dataDir` is given; the health loop is not started.
 */
export async function startBalancer(
  overrides: Partial<BalancerConfig> = {},
  logger: Logger = silentLogger,
): Promise<TestBalancer> {
  const config: BalancerConfig = {
    ...loadBalancerConfig({}),
    requestTimeoutMs: 5_000,
    healthCheckIntervalMs: 100,
    idleCheckAfterMs: 60_000,
    // A request with no worker registered is answered at once, unless a test is about the wait.
    startupWaitMs: 0,
    dataDir: mkdtempSync(join(tmpdir(), 'distcalc-data-')),
    ...overrides,
  };
  const { listener, registry, healthChecker, upstream, admission, jobs } = await buildBalancer(config, logger, { processMetrics: false });
  const running = await listen(listener);
  jobs.start();
  return {
    ...running,
    registry,
    admission,
    healthChecker,
    jobs,
    dataDir: config.dataDir,
    register: (worker) => void registry.register(worker.url, worker.name),
    async close() {
      healthChecker.stop();
      await jobs.close();
      await running.close();
      await upstream.close();
    },
  };
}

/**
 * For a test file: returns `track`, which keeps what a test starts and closes it after the
 * test, newest first. Call it once, at the top of the file.
 */
export function closeAfterEach(): <T extends Running>(running: T) => T {
  const started: Running[] = [];
  afterEach(async () => {
    for (const running of started.splice(0).reverse()) await running.close();
  });
  return (running) => {
    started.push(running);
    return running;
  };
}
