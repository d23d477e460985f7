import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManagedProcess, projectRoot } from './managed-process.js';

export interface LocalStackOptions {
  /** One balancer per port; every worker announces itself to all of them. */
  balancerPorts?: readonly number[];
  workerPorts?: readonly number[];
  /** Each process's output also goes to `<logDir>/<name>.log` (truncated at start); by default the stackDirs folder. */
  logDir?: string;
  onLine?: (name: string, line: string) => void;
  onExit?: (name: string, code: number | null, signal: NodeJS.Signals | null) => void;
  /** Extra environment for every process (for example short health-check intervals). */
  env?: Record<string, string>;
  /** Output straight to the log files, not through this process (see ManagedProcess). */
  direct?: boolean;
  /**
   * The first balancer's DATA_DIR (its job journal): by default the stackDirs folder; a stack
   * given logs of its own elsewhere (a load test, a bench) keeps its jobs beside them.
   * Balancer N > 1 keeps its own in `<dataDir>/balancerN`.
   */
  dataDir?: string;
}

export interface LocalStack {
  /** The first balancer (on :9000 by default). */
  balancer: ManagedProcess;
  balancers: ManagedProcess[];
  workers: ManagedProcess[];
  balancerUrl: string;
  balancerUrls: string[];
  /** Where the processes' log files are. */
  logDir: string;
  start(): Promise<void>;
  /** Stops the workers first (they deregister), then the balancers. */
  stop(): Promise<void>;
}

/** `npm start`'s first balancer port, whose stack keeps its files in `logs/` and `data/`. */
const DEFAULT_BALANCER_PORT = 9000;

/**
 * Where a stack keeps its log files and job journals unless told: `logs/` and `data/` in the
 * project for the stack on :9000, `logs/<port>/` and `data/<port>/` for one whose first balancer
 * is on another port. No two running stacks share a first balancer port, so a second stack
 * started beside a running one (BALANCER_PORT and WORKER_PORTS) neither empties that one's log
 * files nor finds its journal held by that one's balancer.
 */
export function stackDirs(firstBalancerPort: number): { logDir: string; dataDir: string } {
  const own = firstBalancerPort === DEFAULT_BALANCER_PORT ? [] : [String(firstBalancerPort)];
  return { logDir: join(projectRoot, 'logs', ...own), dataDir: join(projectRoot, 'data', ...own) };
}

/**
 * The balancer (or several, side by side) and its workers (server1, server2, …) as local
 * processes on loopback: the stack `npm start` runs, and the one the load test drives.
 */
export function createLocalStack({
  balancerPorts = [DEFAULT_BALANCER_PORT],
  workerPorts = [5001, 5002],
  logDir: givenLogDir,
  onLine,
  onExit,
  env = {},
  direct = false,
  dataDir: givenDataDir,
}: LocalStackOptions = {}): LocalStack {
  const dirs = stackDirs(balancerPorts[0] ?? DEFAULT_BALANCER_PORT);
  const logDir = givenLogDir ?? dirs.logDir;
  const dataDir = givenDataDir ?? (givenLogDir === undefined ? dirs.dataDir : join(givenLogDir, 'data'));
  const balancerUrls = balancerPorts.map((port) => `http://127.0.0.1:${port}`);
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

  const balancers = balancerPorts.map((port, i) =>
    make(i === 0 ? 'balancer' : `balancer${i + 1}`, 'balancer', {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: i === 0 ? dataDir : join(dataDir, `balancer${i + 1}`),
    }),
  );
  const workers = workerPorts.map((port, i) =>
    make(`server${i + 1}`, 'worker', {
      PORT: String(port),
      HOST: '127.0.0.1',
      SERVER_NAME: `server${i + 1}`,
      ADVERTISED_URL: `http://127.0.0.1:${port}`,
      BALANCER_URL: balancerUrls.join(','),
    }),
  );

  return {
    balancer: balancers[0]!,
    balancers,
    workers,
    balancerUrl: balancerUrls[0]!,
    balancerUrls,
    logDir,
    async start() {
      await Promise.all(balancers.map((b) => b.start()));
      await Promise.all(workers.map((w) => w.start()));
      const registered = balancerUrls.flatMap((url) => workers.map((w) => waitUntilActive(url, `http://127.0.0.1:${w.port}`)));
      await Promise.all(registered);
    },
    async stop() {
      await Promise.all(workers.map((w) => w.stop('SIGTERM')));
      await Promise.all(balancers.map((b) => b.stop('SIGTERM')));
      await Promise.all([...balancers, ...workers].map((p) => p.close()));
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
