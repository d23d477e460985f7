import { parseArgs } from 'node:util';
import type { StopMode } from './targets.js';

export interface LoadTestOptions {
  target: 'local' | 'docker' | 'url';
  balancerUrl: string;
  users: number;
  requests: number;
  numbers: string[];
  timeoutMs: number;
  minPhaseSeconds: number;
  warmUpSeconds: number;
  stopMode: StopMode;
  stopAt: number;
  startAt: number;
  threads: number | undefined;
  copyLogs: boolean;
  outDir: string | undefined;
  balancerPort: number;
  workerPorts: number[];
  help: boolean;
}

export const HELP = `distcalc phase load test

Three phases of concurrent virtual users:
  1. both workers serve;
  2. server2 is stopped while requests are in flight;
  3. server2 is started again while requests are in flight.
Each phase prints a table, and the run saves report.json, SVG charts and report.html.
The exit status is 1 if any request failed.

Usage:
  npm run load-test -- [options]                 # starts its own local stack
  npm run load-test -- --target docker           # the running Docker stack (make test)
  npm run load-test -- --target url --balancer http://host:9000   # load only, stops nothing

Options:
  --target local|docker|url   what to drive (default local)
  --balancer URL              the balancer (default http://127.0.0.1:9000; local: from --balancer-port)
  --users N                   virtual users per phase (default 50)
  --requests N                requests per user per phase, back to back (default 10)
  --number N                  number to test; repeat for a mix (default 524287)
  --timeout-ms N              client timeout per request (default 60000)
  --min-phase-seconds S       users keep sending past their quota until the phase has lasted S
                              seconds (default 10: long enough to see server2 leave in phase 2
                              and serve again in phase 3; 0: the quota of --requests only)
  --warm-up-seconds S         the same users send for S seconds before phase 1, not counted, so that phase 1
                              does not pay for compiling and connecting (default 2; 0 for none)
  --stop graceful|kill        how server2 is stopped: SIGTERM / docker stop, or SIGKILL / docker kill
                              (default graceful)
  --stop-at F                 stop server2 when this fraction of phase 2 is done (default 0.25): of its
                              requests, or of --min-phase-seconds when that is set
  --start-at F                start server2 when this fraction of phase 3 is done (default 0.1), likewise
  --threads N                 worker threads for the virtual users (default: the number of cores, at least 2)
  --copy-logs                 save each component's logs for the run in the output folder
                              (also COPY_LOGS=true; docker logs for Docker, process logs for local)
  --out DIR                   where to write the report (default logs/load-test-<time>)
  --balancer-port N           local target: the balancer's port (default 9000)
  --worker-ports A,B          local target: server1's and server2's ports (default 5001,5002)
  -h, --help                  this text
`;

export class UsageError extends Error {}

const DEFAULT_MIN_PHASE_SECONDS = 10;

function positiveInt(name: string, raw: string | undefined, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new UsageError(`--${name} must be a whole number >= ${min}, got "${raw}"`);
  return value;
}

function fraction(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value >= 1) throw new UsageError(`--${name} must be at least 0 and below 1, got "${raw}"`);
  return value;
}

export function parseOptions(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): LoadTestOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      target: { type: 'string' },
      balancer: { type: 'string' },
      users: { type: 'string' },
      requests: { type: 'string' },
      number: { type: 'string', multiple: true },
      'timeout-ms': { type: 'string' },
      'min-phase-seconds': { type: 'string' },
      'warm-up-seconds': { type: 'string' },
      stop: { type: 'string' },
      'stop-at': { type: 'string' },
      'start-at': { type: 'string' },
      threads: { type: 'string' },
      'copy-logs': { type: 'boolean' },
      out: { type: 'string' },
      'balancer-port': { type: 'string' },
      'worker-ports': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const target = values.target ?? 'local';
  if (target !== 'local' && target !== 'docker' && target !== 'url') {
    throw new UsageError(`--target must be local, docker or url, got "${target}"`);
  }
  const stopMode = values.stop ?? 'graceful';
  if (stopMode !== 'graceful' && stopMode !== 'kill') throw new UsageError(`--stop must be graceful or kill, got "${stopMode}"`);
  const numbers = values.number ?? ['524287'];
  for (const n of numbers) if (!/^[0-9]+$/.test(n)) throw new UsageError(`--number takes decimal digits, got "${n}"`);
  const balancerPort = positiveInt('balancer-port', values['balancer-port'], 9000);
  const workerPorts = (values['worker-ports'] ?? '5001,5002').split(',').map((p) => positiveInt('worker-ports', p.trim(), 0));
  if (workerPorts.length !== 2) throw new UsageError('--worker-ports takes two ports, for server1 and server2');
  const balancerUrl = values.balancer ?? `http://127.0.0.1:${balancerPort}`;
  try {
    new URL(balancerUrl);
  } catch {
    throw new UsageError(`--balancer must be a URL, got "${balancerUrl}"`);
  }
  // 50 users x 10 requests take a second or two: too short for server2 to leave and come back.
  const minPhaseSeconds = Number(values['min-phase-seconds'] ?? DEFAULT_MIN_PHASE_SECONDS);
  if (!Number.isFinite(minPhaseSeconds) || minPhaseSeconds < 0) throw new UsageError('--min-phase-seconds must be 0 or more');
  const warmUpSeconds = Number(values['warm-up-seconds'] ?? 2);
  if (!Number.isFinite(warmUpSeconds) || warmUpSeconds < 0) throw new UsageError('--warm-up-seconds must be 0 or more');
  return {
    target,
    balancerUrl: balancerUrl.replace(/\/+$/, ''),
    users: positiveInt('users', values.users, 50),
    requests: positiveInt('requests', values.requests, 10),
    numbers,
    timeoutMs: positiveInt('timeout-ms', values['timeout-ms'], 60_000),
    minPhaseSeconds,
    warmUpSeconds,
    stopMode,
    stopAt: fraction('stop-at', values['stop-at'], 0.25),
    startAt: fraction('start-at', values['start-at'], 0.1),
    threads: values.threads === undefined ? undefined : positiveInt('threads', values.threads, 1),
    copyLogs: values['copy-logs'] === true || /^(1|true|yes)$/i.test(env.COPY_LOGS ?? ''),
    outDir: values.out,
    balancerPort,
    workerPorts,
    help: values.help === true,
  };
}
