/**
 * `npm run bench:floor`: where a light request's CPU goes in the balancer, by taking parts away.
 * Over the same two workers, light `/is_prime/524287` from wrk, rounds in turn:
 *   - distcalc as shipped (every request logged at info);
 *   - distcalc with LOG_LEVEL=warn: no request log line;
 *   - a bare Node.js proxy (bench/bare-proxy.ts): Node's HTTP server and one undici Agent, nothing
 *     else — the floor of the HTTP stack the balancer is built on;
 *   - nginx round robin, for the ratio the `bench` table uses.
 * Each is given as CPU per request and requests per second, and as a ratio to nginx.
 *
 *   npm run bench:floor
 *   npm run bench:floor -- --rounds 5 --seconds 8
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { ManagedProcess, projectRoot } from '../scripts/lib/managed-process.js';
import type { Target } from './rounds.js';
import { startBenchStack, wrk } from './tools.js';
import { runWrkRounds } from './wrk-rounds.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '8' },
    connections: { type: 'string', default: '50' },
  },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const LIGHT = '/is_prime/524287';
const PORTS = { balancer: 9410, workers: [9411, 9412], quiet: 9413, bare: 9414, roundRobin: 9415, leastConn: 9416 };
const { stack, nginx, logDir } = await startBenchStack('bench-floor', PORTS, { LOG_LEVEL: 'info', REQUEST_TIMEOUT_MS: '30000' });
const workerUrls = PORTS.workers.map((port) => `http://127.0.0.1:${port}`);

// The same balancer without its request log, with the same workers registered by hand.
const quiet = new ManagedProcess({
  name: 'balancer-quiet',
  program: 'balancer',
  logFile: join(logDir, 'balancer-quiet.log'),
  direct: true,
  env: { PORT: String(PORTS.quiet), HOST: '127.0.0.1', LOG_LEVEL: 'warn', REQUEST_TIMEOUT_MS: '30000', DATA_DIR: mkdtempSync(join(tmpdir(), 'distcalc-floor-')) },
});
await quiet.start();
for (const [i, address] of workerUrls.entries()) {
  const res = await fetch(`http://127.0.0.1:${PORTS.quiet}/server_up`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ address, name: `server${i + 1}` }),
  });
  if (res.status !== 200) throw new Error(`registering ${address} with the quiet balancer: ${res.status} ${await res.text()}`);
}

// Its own session, as the others have: with autogroups the kernel shares the CPU by session.
const bare = spawn(process.execPath, [join(projectRoot, 'dist', 'bench', 'bare-proxy.js'), String(PORTS.bare), ...workerUrls], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
await new Promise((resolve) => createInterface({ input: bare.stdout! }).once('line', resolve));

const targets: Target[] = [
  { name: 'distcalc', url: `http://127.0.0.1:${PORTS.balancer}`, pids: () => [stack.balancer.pid!] },
  { name: 'distcalc, no log', url: `http://127.0.0.1:${PORTS.quiet}`, pids: () => [quiet.pid!] },
  { name: 'bare Node proxy', url: `http://127.0.0.1:${PORTS.bare}`, pids: () => [bare.pid!] },
  { name: 'nginx round robin', url: `http://127.0.0.1:${PORTS.roundRobin}`, pids: nginx.pids },
];

try {
  console.log(`bench:floor: ${availableParallelism()} cores (${cpus()[0]?.model.trim()}); wrk -t1 -c${connections}, ${seconds} s a run, ${rounds} rounds`);
  for (const t of targets) await wrk(`${t.url}${LIGHT}`, connections, 2);
  const light = await runWrkRounds({ targets, path: LIGHT, workload: 'light', rounds, seconds, connections, workerPorts: PORTS.workers });
  const nginxRun = light['nginx round robin']!;
  const rows = targets.map(({ name }) => {
    const run = light[name]!;
    return { name, rps: run.rps, cpuUsPerRequest: run.cpuUsPerRequest, errors: run.errors, rpsRatio: run.rps / nginxRun.rps, cpuRatio: run.cpuUsPerRequest / nginxRun.cpuUsPerRequest };
  });
  console.log('\ntarget | req/s | ÷ nginx | CPU per request | ÷ nginx | errors');
  for (const r of rows) console.log(`${r.name} | ${r.rps} | ${r.rpsRatio.toFixed(2)}x | ${r.cpuUsPerRequest} µs | ${r.cpuRatio.toFixed(2)}x | ${r.errors}`);
  const dir = join(projectRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `floor-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), machine: { cpus: availableParallelism(), model: cpus()[0]?.model }, settings: { rounds, seconds, connections }, rows, light }, null, 2)}\n`);
  console.log(`\nwritten: ${file}`);
} finally {
  await nginx.stop();
  bare.kill('SIGTERM');
  await quiet.stop('SIGTERM');
  await quiet.close();
  await stack.stop();
}
