import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createLocalStack, waitUntilActive, type LocalStack } from '../lib/local-stack.js';
import { takenPort } from '../lib/ports.js';
import { UsageError } from './options.js';
import type { StatusChange } from './registry-watch.js';

const run = promisify(execFile);

/** The balancer logs one line per status change: `{"server":"server2","to":"inactive","time":…}`. */
function statusChangesFrom(records: Iterable<Record<string, unknown>>, server: string): StatusChange[] {
  const changes: StatusChange[] = [];
  for (const r of records) {
    if (r.server !== server || typeof r.to !== 'string' || typeof r.time !== 'string') continue;
    changes.push({ at: Date.parse(r.time), server, from: typeof r.from === 'string' ? r.from : null, to: r.to });
  }
  return changes;
}

export type StopMode = 'graceful' | 'kill';

/** What the load test drives: a stack whose server2 it can stop and start, or just a URL. */
export interface Target {
  readonly description: string;
  readonly balancerUrl: string;
  /** False for a bare URL: phases 2 and 3 then run without stopping anything. */
  readonly canStopServer2: boolean;
  setUp(): Promise<void>;
  stopServer2(mode: StopMode): Promise<void>;
  startServer2(): Promise<void>;
  /**
   * Status changes of a server as the balancer logged them (exact times), or undefined when
   * the balancer's logs are out of reach and the /servers poll has to do.
   */
  statusChanges(server: string): Promise<StatusChange[] | undefined>;
  /** Saves each component's logs for the run into `dir`; returns the files written. */
  copyLogs(dir: string): Promise<string[]>;
  tearDown(): Promise<void>;
}

/** The balancer and two workers as local processes, started and stopped by the load test. */
export function localTarget(options: { balancerPort: number; workerPorts: number[]; logDir: string }): Target {
  let stack: LocalStack | undefined;
  let dataDir: string | undefined;
  const server2 = () => {
    const worker = stack?.workers[1];
    if (!worker) throw new Error('the local stack has no server2');
    return worker;
  };
  return {
    description: `local processes (balancer :${options.balancerPort}, workers :${options.workerPorts.join(', :')})`,
    balancerUrl: `http://127.0.0.1:${options.balancerPort}`,
    canStopServer2: true,
    async setUp() {
      const taken = await takenPort([options.balancerPort, ...options.workerPorts]);
      if (taken !== undefined) {
        throw new UsageError(`port ${taken} is already in use (is npm start running?): stop it, or give the load test other ports (--balancer-port, --worker-ports)`);
      }
      // A journal folder of its own: the load test runs no jobs, and `data/` may be held by `npm start`.
      dataDir = await mkdtemp(join(tmpdir(), 'distcalc-load-test-'));
      stack = createLocalStack({
        balancerPorts: [options.balancerPort],
        workerPorts: options.workerPorts,
        logDir: options.logDir,
        dataDir,
        // Short intervals so that a stopped worker's absence and return show within the phase.
        env: { HEALTH_CHECK_INTERVAL_MS: '500', IDLE_CHECK_AFTER_MS: '1000', ANNOUNCE_INTERVAL_MS: '2000' },
      });
      await stack.start();
    },
    async stopServer2(mode) {
      await server2().stop(mode === 'graceful' ? 'SIGTERM' : 'SIGKILL');
    },
    async startServer2() {
      const worker = server2();
      const port = await worker.start();
      await waitUntilActive(`http://127.0.0.1:${options.balancerPort}`, `http://127.0.0.1:${port}`);
    },
    async statusChanges(server) {
      return stack ? statusChangesFrom(stack.balancer.logs, server) : undefined;
    },
    async copyLogs(dir) {
      await mkdir(dir, { recursive: true });
      const names = ['balancer', 'server1', 'server2'];
      // The stack already writes each process's stream under its log folder.
      if (options.logDir === dir) return names.map((n) => join(dir, `${n}.log`));
      return Promise.all(
        names.map(async (n) => {
          const to = join(dir, `${n}.log`);
          await copyFile(join(options.logDir, `${n}.log`), to);
          return to;
        }),
      );
    },
    async tearDown() {
      await stack?.stop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The Docker stack of docker-compose.yml: containers loadbalancer, server1, server2. */
export function dockerTarget(balancerUrl: string): Target {
  const docker = (...args: string[]) => run('docker', args, { maxBuffer: 256 * 1024 * 1024 });
  return {
    description: 'Docker containers loadbalancer, server1, server2',
    balancerUrl,
    canStopServer2: true,
    async setUp() {
      await docker('inspect', '--format', '{{.State.Running}}', 'loadbalancer', 'server1', 'server2').catch(() => {
        throw new Error('the Docker stack is not running: run `make build` and `make start` first');
      });
    },
    async stopServer2(mode) {
      await docker(mode === 'graceful' ? 'stop' : 'kill', 'server2');
    },
    async startServer2() {
      await docker('start', 'server2');
    },
    async statusChanges(server) {
      const { stdout } = await docker('logs', 'loadbalancer');
      const records = stdout.split('\n').flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
      return statusChangesFrom(records, server);
    },
    async copyLogs(dir) {
      await mkdir(dir, { recursive: true });
      return Promise.all(
        ['loadbalancer', 'server1', 'server2'].map(async (name) => {
          const { stdout, stderr } = await docker('logs', name);
          const to = join(dir, `${name}.log`);
          await writeFile(to, stdout + stderr);
          return to;
        }),
      );
    },
    async tearDown() {},
  };
}

/** Any running balancer: load only, nothing is stopped. */
export function urlTarget(balancerUrl: string): Target {
  return {
    description: `the balancer at ${balancerUrl} (nothing is stopped)`,
    balancerUrl,
    canStopServer2: false,
    async setUp() {},
    async stopServer2() {},
    async startServer2() {},
    async statusChanges() {
      return undefined;
    },
    async copyLogs() {
      return [];
    },
    async tearDown() {},
  };
}
