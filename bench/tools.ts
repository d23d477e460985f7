import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createLocalStack, type LocalStack } from '../scripts/lib/local-stack.js';
import { projectRoot } from '../scripts/lib/managed-process.js';

const run = promisify(execFile);

/** Finds a program, or installs its Debian package when we are root; throws with advice otherwise. */
export function ensureProgram(program: string, debianPackage: string): string {
  const find = () => {
    try {
      return execFileSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };
  let path = find();
  if (path) return path;
  if (process.getuid?.() !== 0) throw new Error(`${program} is missing: apt-get install ${debianPackage}`);
  console.log(`installing ${debianPackage}…`);
  try {
    execFileSync('apt-get', ['install', '-y', '-q', debianPackage], { stdio: 'ignore' });
  } catch {
    execFileSync('apt-get', ['update', '-q'], { stdio: 'ignore' });
    execFileSync('apt-get', ['install', '-y', '-q', debianPackage], { stdio: 'ignore' });
  }
  path = find();
  if (!path) throw new Error(`${program} is still missing after installing ${debianPackage}`);
  return path;
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // Fields 14 and 15 of stat (utime, stime) are 12 and 13 after the command name, in clock ticks.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export interface BenchStackPorts {
  balancer: number;
  workers: number[];
  roundRobin: number;
  leastConn: number;
}

/**
 * What a bench against nginx runs on: nginx and wrk (installed if missing), our balancer and
 * two workers logging to logs/<name>/, and nginx in front of the same workers.
 */
export async function startBenchStack(name: string, ports: BenchStackPorts, env: Record<string, string>): Promise<{ stack: LocalStack; nginx: NginxRef; logDir: string }> {
  ensureProgram('nginx', 'nginx-light');
  ensureProgram('wrk', 'wrk');
  const logDir = join(projectRoot, 'logs', name);
  mkdirSync(logDir, { recursive: true });
  const stack = createLocalStack({
    balancerPorts: [ports.balancer],
    workerPorts: ports.workers,
    logDir,
    // Output straight to the log files: copying every access line through this process would
    // cost CPU that a production balancer does not pay.
    direct: true,
    env,
  });
  await stack.start();
  const nginx = await startNginx(mkdtempSync(join(tmpdir(), 'distcalc-nginx-')), stack.workers.map((w) => `127.0.0.1:${w.port}`), ports);
  return { stack, nginx, logDir };
}

export interface NginxRef {
  pids(): number[];
  stop(): Promise<void>;
}

/** nginx with one worker process in front of the given workers: round robin and least_conn on two ports. */
export async function startNginx(dir: string, workers: readonly string[], ports: { roundRobin: number; leastConn: number }): Promise<NginxRef> {
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const servers = workers.map((w) => `server ${w.replace(/^https?:\/\//, '')};`).join(' ');
  const conf = `worker_processes 1;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'logs', 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log ${join(dir, 'logs', 'access.log')};
  upstream round_robin { ${servers} keepalive 64; }
  upstream least_conn { least_conn; ${servers} keepalive 64; }
  server {
    listen 127.0.0.1:${ports.roundRobin};
    location / { proxy_pass http://round_robin; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_next_upstream error timeout http_502 http_503; }
  }
  server {
    listen 127.0.0.1:${ports.leastConn};
    location / { proxy_pass http://least_conn; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_next_upstream error timeout http_502 http_503; }
  }
}
`;
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, conf);
  // Its own session, as our balancer has (ManagedProcess): with autogroups the kernel shares the
  // CPU between sessions first, so sharing the load generator's would not be the same contest.
  const child: ChildProcess = spawn('nginx', ['-c', file, '-p', dir], { stdio: 'ignore', detached: true });
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`http://127.0.0.1:${ports.roundRobin}/health_check`);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const pids = () => {
    try {
      return execFileSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' }).trim().split('\n').map(Number).filter(Boolean);
    } catch {
      return [];
    }
  };
  return {
    pids,
    async stop() {
      child.kill('SIGQUIT');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

export interface WrkResult {
  requests: number;
  seconds: number;
  rps: number;
  p50ms: number;
  p99ms: number;
  errors: number;
}

function toMs(value: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(value.trim());
  if (!match) return Number.NaN;
  const n = Number(match[1]);
  return { us: n / 1000, ms: n, s: n * 1000, m: n * 60_000 }[match[2] as 'us' | 'ms' | 's' | 'm'];
}

/** wrk with one thread and `connections` keep-alive connections, parsed. */
export async function wrk(url: string, connections: number, seconds: number): Promise<WrkResult> {
  // wrk's default 2 s timeout would count a slow heavy answer as an error.
  const { stdout } = await run('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '30s', '--latency', url], { maxBuffer: 1 << 20 });
  const pick = (re: RegExp) => re.exec(stdout)?.[1];
  const requests = Number(pick(/(\d+) requests in/));
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const errors =
    Number(pick(/Non-2xx or 3xx responses: (\d+)/) ?? 0) +
    (socketErrors ? socketErrors.slice(1).reduce((n, v) => n + Number(v), 0) : 0);
  return {
    requests,
    seconds,
    rps: Number(pick(/Requests\/sec:\s+([\d.]+)/)),
    p50ms: toMs(pick(/\s50%\s+(\S+)/) ?? ''),
    p99ms: toMs(pick(/\s99%\s+(\S+)/) ?? ''),
    errors,
  };
}
