import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManagedProcess, projectRoot } from './managed-process.js';

export interface LocalStackOptions {
  balancerPort?: number;
  workerPorts?: readonly number[];
  /** Each process's output also goes to `<logDir>/<name>.log` (truncated at start). */
  logDir?: string;
  onLine?: (name: string, line: string) => void;
  onExit?: (name: string, code: number | null, signal: NodeJS.Signals | null) => void;
  /** Extra environment for every process (for example short health-check intervals). */
  env?: Record<string, string>;
  /** Output straight to the log files, not through this process (see ManagedProcess). */
  direct?: boolean;
  /**
   * The balancer's DATA_DIR (its job journal): `data/` in the project for `npm start`; a stack
   * with logs of its own elsewhere (a load test, a bench) keeps its jobs beside them.
   */
  dataDir?: string;
}

export interface LocalStack {
  balancer: ManagedProcess;
  workers: ManagedProcess[];
  balancerUrl: string;
  start(): Promise<void>;
  /** Stops the workers first (they deregister), then the balancer. */
  stop(): Promise<void>;
}

/**
 * The balancer and its workers (server1, server2, …) as local processes on loopback: the
 * stack `npm start` runs, and the one the load test and the integration tests drive.
 */
export function createLocalStack({
  balancerPort = 9000,
  workerPorts = [5001, 5002],
  logDir = join(projectRoot, 'logs'),
  onLine,
  onExit,
  env = {},
  direct = false,
  dataDir = logDir === join(projectRoot, 'logs') ? join(projectRoot, 'data') : join(logDir, 'data'),
}: LocalStackOptions = {}): LocalStack {
  const balancerUrl = `http://127.0.0.1:${balancerPort}`;
  mkdirSync(logDir, { recursive: true });
  const make = (name: string, program: 'balancer' | 'worker', processEnv: Record<string, string>) => {
    const logFile = join(logDir, `${name}.log`);
    writeFileSync(logFile, '');
    return new ManagedProcess({
      name,
      program,
      logFile,
      direct,
      env: { ...env, ...processEnv },
      onLine: onLine && ((line) => onLine(name, line)),
      onExit: onExit && ((code, signal) => onExit(name, code, signal)),
    });
  };

  const balancer = make('balancer', 'balancer', { PORT: String(balancerPort), HOST: '127.0.0.1', DATA_DIR: dataDir });
  const workers = workerPorts.map((port, i) =>
    make(`server${i + 1}`, 'worker', {
      PORT: String(port),
      HOST: '127.0.0.1',
      SERVER_NAME: `server${i + 1}`,
      ADVERTISED_URL: `http://127.0.0.1:${port}`,
      BALANCER_URL: balancerUrl,
    }),
  );

  return {
    balancer,
    workers,
    balancerUrl,
    async start() {
      await balancer.start();
      await Promise.all(workers.map((w) => w.start()));
      await Promise.all(workers.map((w) => waitUntilActive(balancerUrl, `http://127.0.0.1:${w.port}`)));
    },
    async stop() {
      await Promise.all(workers.map((w) => w.stop('SIGTERM')));
      await balancer.stop('SIGTERM');
      await Promise.all([balancer, ...workers].map((p) => p.close()));
    },
  };
}

/**
 * Resolves once the balancer lists `address` as active: the worker has registered (or been
 * found healthy again). Asks the balancer rather than reading logs, so it works at any LOG_LEVEL.
 */
export async function waitUntilActive(balancerUrl: string, address: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${balancerUrl}/servers`);
      const { servers } = (await res.json()) as { servers: Array<{ address: string; status: string }> };
      if (servers.some((s) => s.address === address && s.status === 'active')) return;
    } catch {
      // the balancer is not answering yet
    }
    if (Date.now() > deadline) throw new Error(`${address} did not become active at ${balancerUrl} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
