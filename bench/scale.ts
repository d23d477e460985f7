/**
 * `npm run bench:scale`: the balancer with 2, 100 and 1,000 registered workers (stand-ins, many
 * per process: bench/stand-in-workers.ts), light `/is_prime/524287` under wrk. For each count,
 * a fresh balancer as shipped (LOG_LEVEL=info, least outstanding); rounds take the counts in
 * turn, and each round's figures are compared with its own 2-worker run:
 *   - the balancer's CPU per request (ratio to 2 workers);
 *   - its memory: the JavaScript heap still in use after a full garbage collection, once the
 *     workers are registered and again after the run (what the workers cost; resident memory
 *     is reported too, but it mostly shows how far V8 let garbage pile up before collecting);
 *   - each worker's share of the requests against an even split (the fewest and the most any
 *     one worker got, as fractions of total / count);
 *   - its CPU and heap with the workers registered and no traffic, once settled after the run:
 *     what health checks of idle workers cost (each probed once per HEALTH_CHECK_INTERVAL_MS, 5 s);
 *   - how long a scrape of /metrics takes, and its size, once every worker has served.
 * Figures go to docs/bench/scale-latest.json; BENCHMARKS.md ("At scale") has the method.
 *
 *   npm run bench:scale
 *   npm run bench:scale -- --rounds 1 --seconds 5
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { ManagedProcess, projectRoot } from '../scripts/lib/managed-process.js';
import { median, inTurn } from './rounds.js';
import { cpuSeconds, ensureProgram, wrk } from './tools.js';

const { values } = parseArgs({
  options: {
    counts: { type: 'string', default: '2,100,1000' },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '8' },
    connections: { type: 'string', default: '16' },
    port: { type: 'string', default: '9300' },
  },
});
const counts = values.counts.split(',').map(Number);
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const port = Number(values.port);
ensureProgram('wrk', 'wrk');

/** Two processes of stand-ins, as many servers as the largest count. */
async function startStandIns(total: number): Promise<{ ports: number[]; children: ChildProcess[] }> {
  const halves = [Math.ceil(total / 2), Math.floor(total / 2)].filter((n) => n > 0);
  const children: ChildProcess[] = [];
  const lists = await Promise.all(
    halves.map((n, i) => {
      const child = spawn(process.execPath, [join(projectRoot, 'dist/bench/stand-in-workers.js'), String(n), String(i * halves[0]!)], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(child);
      return new Promise<number[]>((resolve) => createInterface({ input: child.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { ports: number[] }).ports)));
    }),
  );
  return { ports: lists.flat(), children };
}

/**
 * Loaded into the bench's balancers only (NODE_OPTIONS): on SIGUSR2, a full garbage collection,
 * then the heap still in use, written to HEAP_FILE. The shipped balancer has no such hook.
 */
const HEAP_PROBE =
  "--expose-gc --import=data:text/javascript,import{writeFileSync}from'node:fs';process.on('SIGUSR2',()=>{globalThis.gc();writeFileSync(process.env.HEAP_FILE,String(process.memoryUsage().heapUsed))})";

async function heapAfterGcMb(pid: number, file: string): Promise<number> {
  rmSync(file, { force: true });
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 100 && !existsSync(file); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  await new Promise((resolve) => setTimeout(resolve, 20));
  return Number(readFileSync(file, 'utf8')) / 2 ** 20;
}

/**
 * The idle figures are taken from this long after the run: the requests' connections have
 * idled out (the upstream keep-alive is 4 s), every worker is probed once per health-check
 * interval again (busy workers are not probed), and V8 has compiled the probe path (about 20 s
 * of probes at 1,000 workers; before that the same probes cost up to twice the CPU).
 */
const IDLE_SETTLE_MS = 25_000;
const IDLE_MEASURE_MS = 10_000;

/** The balancer's CPU in ms a second over IDLE_MEASURE_MS, once it has settled after the run. */
async function idleCpu(pid: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, IDLE_SETTLE_MS));
  const before = cpuSeconds(pid);
  await new Promise((resolve) => setTimeout(resolve, IDLE_MEASURE_MS));
  return ((cpuSeconds(pid) - before) * 1000) / (IDLE_MEASURE_MS / 1000);
}

const residentMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

async function scrapeMetrics(url: string): Promise<{ ms: number; kb: number }> {
  const times: number[] = [];
  let kb = 0;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    kb = (await (await fetch(`${url}/metrics`)).arrayBuffer()).byteLength / 1024;
    times.push(performance.now() - started);
  }
  return { ms: median(times), kb };
}

async function servedCounts(url: string): Promise<Map<string, number>> {
  const { servers } = (await (await fetch(`${url}/servers`)).json()) as { servers: Array<{ name: string; served: number }> };
  return new Map(servers.map((s) => [s.name, s.served]));
}

interface Run {
  count: number;
  rps: number;
  cpuUsPerRequest: number;
  residentMb: number;
  /**
   * Heap in use after a full collection: with the workers registered; right after the run, with
   * a kept-alive connection to every worker that served; and idle, with the workers probed
   * (after the idle CPU's window).
   */
  heapRegisteredMb: number;
  heapAfterMb: number;
  heapIdleMb: number;
  /** CPU ms a second with no traffic: the health checks of idle workers. */
  idleCpuMsPerSecond: number;
  /** A scrape of /metrics: the median time of three, and its size. */
  scrapeMs: number;
  scrapeKb: number;
  errors: number;
  /** The fewest and most requests one worker got, over an even split's number. */
  shareMin: number;
  shareMax: number;
}

async function measure(count: number, ports: readonly number[], logDir: string): Promise<Run> {
  const heapFile = join(tmpdir(), `distcalc-scale-heap-${process.pid}`);
  const balancer = new ManagedProcess({
    name: `balancer-${count}`,
    program: 'balancer',
    logFile: join(logDir, `balancer-${count}.log`),
    direct: true,
    env: { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', MAX_SERVERS: '2000', DATA_DIR: mkdtempSync(join(tmpdir(), 'distcalc-scale-')), NODE_OPTIONS: HEAP_PROBE, HEAP_FILE: heapFile },
  });
  await balancer.start();
  const url = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; i < count; i++) {
      const res = await fetch(`${url}/server_up`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ address: `http://127.0.0.1:${ports[i]}`, name: `s${i}` }),
      });
      if (res.status !== 200) throw new Error(`registering s${i}: ${res.status} ${await res.text()}`);
    }
    const heapRegisteredMb = await heapAfterGcMb(balancer.pid!, heapFile);
    const target = `${url}/is_prime/524287`;
    await wrk(target, connections, 2); // warm-up: connections to the workers, JIT
    const before = await servedCounts(url);
    const cpuBefore = cpuSeconds(balancer.pid!);
    const result = await wrk(target, connections, seconds);
    const cpu = cpuSeconds(balancer.pid!) - cpuBefore;
    const after = await servedCounts(url);
    const scrape = await scrapeMetrics(url);
    const served = [...after].map(([name, n]) => n - (before.get(name) ?? 0));
    const total = served.reduce((a, b) => a + b, 0);
    const even = total / count;
    return {
      count,
      rps: result.rps,
      cpuUsPerRequest: (cpu * 1e6) / result.requests,
      residentMb: residentMb(balancer.pid!),
      scrapeMs: scrape.ms,
      scrapeKb: scrape.kb,
      heapRegisteredMb,
      heapAfterMb: await heapAfterGcMb(balancer.pid!, heapFile),
      // After the run, so that the loaded run starts as soon after registering as it always has.
      idleCpuMsPerSecond: await idleCpu(balancer.pid!),
      heapIdleMb: await heapAfterGcMb(balancer.pid!, heapFile),
      errors: result.errors,
      shareMin: Math.min(...served) / even,
      shareMax: Math.max(...served) / even,
    };
  } finally {
    await balancer.stop('SIGTERM');
    await balancer.close();
  }
}

const logDir = join(projectRoot, 'logs', 'bench-scale');
mkdirSync(logDir, { recursive: true });
const standIns = await startStandIns(Math.max(...counts));
const runs: Run[] = [];
try {
  for (let round = 0; round < rounds; round++) {
    for (const count of inTurn(counts, round)) {
      const run = await measure(count, standIns.ports, logDir);
      runs.push(run);
      console.log(`round ${round + 1}, ${count} workers: ${run.rps.toFixed(0)} req/s, ${run.cpuUsPerRequest.toFixed(0)} µs CPU/req, idle ${run.idleCpuMsPerSecond.toFixed(1)} ms CPU/s, /metrics ${run.scrapeMs.toFixed(1)} ms ${run.scrapeKb.toFixed(0)} kB, heap ${run.heapRegisteredMb.toFixed(1)} / ${run.heapAfterMb.toFixed(1)} / ${run.heapIdleMb.toFixed(1)} MB, resident ${run.residentMb.toFixed(0)} MB, share ${run.shareMin.toFixed(2)}-${run.shareMax.toFixed(2)}, errors ${run.errors}`);
    }
  }
} finally {
  for (const child of standIns.children) child.kill('SIGTERM');
}

/** Each count against the 2-worker run of the same round, as medians over rounds. */
const base = counts[0]!;
const summary = counts.map((count) => {
  const mine = runs.filter((r) => r.count === count);
  const ratio = (field: 'cpuUsPerRequest' | 'residentMb' | 'heapAfterMb' | 'heapIdleMb' | 'scrapeMs') =>
    median(mine.map((r, i) => r[field] / runs.filter((b) => b.count === base)[i]![field]));
  return {
    count,
    rps: median(mine.map((r) => r.rps)),
    cpuUsPerRequest: median(mine.map((r) => r.cpuUsPerRequest)),
    cpuRatio: ratio('cpuUsPerRequest'),
    residentMb: median(mine.map((r) => r.residentMb)),
    memoryRatio: ratio('residentMb'),
    heapRegisteredMb: median(mine.map((r) => r.heapRegisteredMb)),
    heapAfterMb: median(mine.map((r) => r.heapAfterMb)),
    heapRatio: ratio('heapAfterMb'),
    heapIdleMb: median(mine.map((r) => r.heapIdleMb)),
    heapIdleRatio: ratio('heapIdleMb'),
    idleCpuMsPerSecond: median(mine.map((r) => r.idleCpuMsPerSecond)),
    scrapeMs: median(mine.map((r) => r.scrapeMs)),
    scrapeKb: median(mine.map((r) => r.scrapeKb)),
    scrapeRatio: ratio('scrapeMs'),
    shareMin: Math.min(...mine.map((r) => r.shareMin)),
    shareMax: Math.max(...mine.map((r) => r.shareMax)),
    errors: mine.reduce((n, r) => n + r.errors, 0),
  };
});
console.log('\nworkers | req/s | CPU/req | vs 2 | heap after GC: registered, after the run, idle | vs 2: after the run, idle | resident | vs 2 | share of an even split (min-max) | idle CPU | /metrics scrape, vs 2');
for (const s of summary) {
  console.log(
    `${s.count} | ${s.rps.toFixed(0)} | ${s.cpuUsPerRequest.toFixed(0)} µs | ${s.cpuRatio.toFixed(2)}x | ${s.heapRegisteredMb.toFixed(1)} MB, ${s.heapAfterMb.toFixed(1)} MB, ${s.heapIdleMb.toFixed(1)} MB | ${s.heapRatio.toFixed(2)}x, ${s.heapIdleRatio.toFixed(2)}x | ${s.residentMb.toFixed(0)} MB | ${s.memoryRatio.toFixed(2)}x | ${s.shareMin.toFixed(2)}-${s.shareMax.toFixed(2)} | ${s.idleCpuMsPerSecond.toFixed(1)} ms/s | ${s.scrapeMs.toFixed(1)} ms ${s.scrapeKb.toFixed(0)} kB, ${s.scrapeRatio.toFixed(1)}x`,
  );
}
const out = join(projectRoot, 'docs', 'bench', 'scale-latest.json');
writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), machine: { cpus: cpus().length, model: cpus()[0]?.model }, settings: { rounds, seconds, connections }, summary, runs }, null, 2)}\n`);
console.log(`\nwritten: ${out}`);
