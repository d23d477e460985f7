/**
 * `npm run bench`: distcalc's balancer against nginx (round robin and least_conn) in front of the
 * same two workers, on this machine, in one run, as ratios. BENCHMARKS.md says what it measures
 * and holds the current result.
 *
 *   npm run bench -- --hedge-after-ms 1
 *   npm run bench -- --seconds 8 --rounds 3 --mixed-rounds 8 --selection round_robin
 */
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../scripts/lib/managed-process.js';
import { runMixed } from './mixed.js';
import { parseBenchOptions } from './options.js';
import { buildReport, NGINX_LC, NGINX_RR, OURS, printSummary, writeReport } from './report.js';
import type { Target } from './rounds.js';
import { startBenchStack, wrk } from './tools.js';
import { runWrkRounds } from './wrk-rounds.js';

const options = parseBenchOptions();
const LIGHT = '/is_prime/524287';
const HEAVY_N = 2n ** 1279n - 1n;
const HEAVY = `/is_prime/${HEAVY_N}`;
const PORTS = { balancer: 9200, workers: [9201, 9202], roundRobin: 9300, leastConn: 9301 };

const { stack, nginx } = await startBenchStack('bench', PORTS, {
  LOG_LEVEL: 'info',
  REQUEST_TIMEOUT_MS: '30000',
  SELECTION: options.selection,
  ...(options.capacity ? { CAPACITY: options.capacity } : {}),
  ...(options.hedgeAfterMs ? { HEDGE_AFTER_MS: options.hedgeAfterMs } : {}),
});
const targets: Target[] = [
  { name: OURS, url: `http://127.0.0.1:${PORTS.balancer}`, pids: () => [stack.balancer.pid!] },
  { name: NGINX_RR, url: `http://127.0.0.1:${PORTS.roundRobin}`, pids: nginx.pids },
  { name: NGINX_LC, url: `http://127.0.0.1:${PORTS.leastConn}`, pids: nginx.pids },
];

try {
  const hedging = options.hedgeAfterMs ? `, HEDGE_AFTER_MS=${options.hedgeAfterMs}` : '';
  console.log(
    `bench: distcalc with SELECTION=${options.selection}${hedging}; ${availableParallelism()} cores (${cpus()[0]?.model.trim()}); ` +
      `wrk -t1 -c${options.connections}, ${options.seconds} s a run, ${options.rounds} rounds, ${options.skipMixed ? 'no' : options.mixedRounds} mixed rounds`,
  );
  // Warm every target up (JIT, connection pools) before anything counts.
  for (const t of targets) await wrk(`${t.url}${LIGHT}`, options.connections, 2);

  const rounds = { targets, rounds: options.rounds, seconds: options.seconds, connections: options.connections, workerPorts: PORTS.workers };
  const light = await runWrkRounds({ ...rounds, path: LIGHT, workload: 'light' });
  const heavy = await runWrkRounds({ ...rounds, path: HEAVY, workload: 'heavy', limitOf: HEAVY_N });
  const mixed = options.skipMixed
    ? undefined
    : await runMixed({
        targets,
        light: LIGHT,
        heavy: HEAVY,
        rounds: options.mixedRounds,
        seconds: options.seconds,
        users: options.connections,
        workerPorts: PORTS.workers,
        workerPids: () => stack.workers.map((w) => w.pid!),
      });

  const report = buildReport(options, { light, heavy, mixed }, { light: LIGHT, heavy: '2^1279-1' });
  printSummary(report);
  const written = writeReport(join(projectRoot, 'bench', 'results'), report);
  console.log(`written: ${written}.json and .svg`);
} finally {
  await nginx.stop();
  await stack.stop();
}
