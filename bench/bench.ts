/**
 * `npm run bench`: distcalc's balancer against nginx in front of the same two workers, on this
 * machine, in one run, as ratios. See BENCHMARKS.md for what it measures and the last result.
 *
 *   npm run bench -- --seconds 8 --rounds 3 --mixed-rounds 16
 *   npm run bench -- --minimal-proxies      (three bare Node.js proxies join the mixed workload)
 */
import { checkPrimeSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLocalStack } from '../scripts/lib/local-stack.js';
import { projectRoot } from '../scripts/lib/managed-process.js';
import type { PhaseRun } from '../scripts/load-test/run-phase.js';
import { runClosedLoop } from './closed-loop.js';
import { percentile } from '../scripts/load-test/stats.js';
import { cpuSeconds, ensureProgram, startMinimalProxy, startNginx, wrk, type MinimalProxyRef, type WrkResult } from './tools.js';
import { barChart } from './chart.js';
import { pairedRatio, type PairedRatio } from './paired-ratio.js';
import { childPids, idleOver, sampleCpuTimes } from './machine.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    // p99 of a few thousand light requests moves by a millisecond from run to run, and a round's
    // throughput by 1-2 %: the mixed workload gets more rounds, its percentiles come from all of
    // them pooled, and the throughput ratio's 95 % interval is about ±1 % over 16 rounds (±0.8-2 %
    // over 8, sometimes too wide to tell level from 1 % lower). An even number: each target goes
    // first as often as last.
    'mixed-rounds': { type: 'string', default: '16' },
    'skip-mixed': { type: 'boolean', default: false },
    selection: { type: 'string', default: 'least_outstanding' },
    // Heavy calculations each worker advertises (CAPACITY); default: its thread pool, one per core.
    capacity: { type: 'string' },
    // Our balancer's HEDGE_AFTER_MS: ms or auto (default 0: off, as in production).
    'hedge-after-ms': { type: 'string' },
    // Three bare Node.js proxies (bench/minimal-proxy.ts) join the mixed workload: how close to
    // nginx Node gets with nothing of ours on the path, and with hedged light requests on top.
    'minimal-proxies': { type: 'boolean', default: false },
  },
});
/** A whole number of at least 1, or the run stops here, before anything was measured. */
function positiveInt(name: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`bench: --${name} must be a whole number of at least 1, not ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return n;
}
const seconds = positiveInt('seconds', values.seconds);
const rounds = positiveInt('rounds', values.rounds);
const mixedRounds = positiveInt('mixed-rounds', values['mixed-rounds']);
const connections = positiveInt('connections', values.connections);
if (values.capacity !== undefined) positiveInt('capacity', values.capacity);
if (values['hedge-after-ms'] !== undefined && values['hedge-after-ms'] !== 'auto') positiveInt('hedge-after-ms', values['hedge-after-ms']);
if (!['round_robin', 'least_outstanding'].includes(values.selection)) {
  console.error(`bench: --selection must be round_robin or least_outstanding, not ${JSON.stringify(values.selection)}`);
  process.exit(2);
}

const LIGHT = '/is_prime/524287';
const HEAVY_N = 2n ** 1279n - 1n;
const HEAVY = `/is_prime/${HEAVY_N}`;
/** Seconds at the start of each mixed run that are not measured (see below). */
const MIXED_SETTLE_S = 1;
const PORTS = { balancer: 9200, workers: [9201, 9202], roundRobin: 9300, leastConn: 9301, minimalRaw: 9400, minimalUndici: 9401, minimalHedged: 9402 };

ensureProgram('nginx', 'nginx-light');
ensureProgram('wrk', 'wrk');

interface Measured extends WrkResult {
  cpuUsPerRequest: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Waits until both workers are idle. When wrk stops, a proxy that forwarded every request at
 * once (nginx) leaves the workers with dozens of queued heavy checks that cannot be cancelled;
 * without this wait they would eat the first second of the next run, whoever's run it is.
 */
async function workersIdle(): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const inFlight = await Promise.all(
      PORTS.workers.map(async (port) => ((await (await fetch(`http://127.0.0.1:${port}/health_check`)).json()) as { in_flight: number }).in_flight),
    );
    if (inFlight.every((n) => n === 0) || Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function measure(url: string, pids: () => number[], secs: number): Promise<Measured> {
  await workersIdle();
  const before = pids().reduce((s, pid) => s + cpuSeconds(pid), 0);
  const result = await wrk(url, connections, secs);
  const after = pids().reduce((s, pid) => s + cpuSeconds(pid), 0);
  return { ...result, cpuUsPerRequest: Math.round(((after - before) * 1e6) / Math.max(1, result.requests)) };
}

/** The targets in turn, the order reversed every other round: no target always goes first. */
function inTurn<T>(entries: T[], round: number): T[] {
  return round % 2 === 0 ? entries : [...entries].reverse();
}

function summary(runs: Measured[]) {
  return {
    rps: Math.round(median(runs.map((r) => r.rps))),
    p50ms: median(runs.map((r) => r.p50ms)),
    p99ms: median(runs.map((r) => r.p99ms)),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    cpuUsPerRequest: median(runs.map((r) => r.cpuUsPerRequest)),
    rounds: runs.length,
  };
}

const logDir = join(projectRoot, 'logs', 'bench');
mkdirSync(logDir, { recursive: true });
const stack = createLocalStack({
  balancerPort: PORTS.balancer,
  workerPorts: PORTS.workers,
  logDir,
  direct: true,
  env: {
    LOG_LEVEL: 'info',
    REQUEST_TIMEOUT_MS: '30000',
    SELECTION: values.selection,
    ...(values.capacity ? { CAPACITY: values.capacity } : {}),
    ...(values['hedge-after-ms'] ? { HEDGE_AFTER_MS: values['hedge-after-ms'] } : {}),
  },
});
await stack.start();
const nginx = await startNginx(mkdtempSync(join(tmpdir(), 'distcalc-nginx-')), stack.workers.map((w) => `127.0.0.1:${w.port}`), PORTS);
/** Started inside the try below, so that the finally stops whichever did start. */
const minimal: Record<string, MinimalProxyRef> = {};
const ours = () => [stack.balancer.pid!];
const targets = {
  distcalc: { url: `http://127.0.0.1:${PORTS.balancer}`, pids: ours },
  nginx: { url: `http://127.0.0.1:${PORTS.roundRobin}`, pids: nginx.pids },
};

try {
  if (values['minimal-proxies']) {
    const workerAddresses = stack.workers.map((w) => `127.0.0.1:${w.port}`);
    minimal['minimal Node (raw)'] = await startMinimalProxy(PORTS.minimalRaw, 'raw', workerAddresses);
    minimal['minimal Node (undici)'] = await startMinimalProxy(PORTS.minimalUndici, 'undici', workerAddresses);
    minimal['minimal Node (raw, hedged)'] = await startMinimalProxy(PORTS.minimalHedged, 'hedged=1', workerAddresses);
  }
  const hedging = values['hedge-after-ms'] ? `, HEDGE_AFTER_MS=${values['hedge-after-ms']}` : '';
  console.log(`bench: distcalc with SELECTION=${values.selection}${hedging}; ${availableParallelism()} cores (${cpus()[0]?.model.trim()}); wrk -t1 -c${connections}, ${seconds} s a run, ${rounds} rounds A/B`);
  // Warm up both (JIT, connection pools) before anything counts.
  for (const t of Object.values(targets)) await wrk(`${t.url}${LIGHT}`, connections, 2);

  const results: Record<string, Record<string, ReturnType<typeof summary>>> = { light: {}, heavy: {} };
  for (const [workload, path, secs] of [
    ['light', LIGHT, seconds],
    ['heavy', HEAVY, seconds],
  ] as const) {
    const runs: Record<string, Measured[]> = { distcalc: [], nginx: [] };
    for (let round = 0; round < rounds; round++) {
      for (const [name, t] of inTurn(Object.entries(targets), round)) {
        const m = await measure(`${t.url}${path}`, t.pids, secs);
        runs[name]!.push(m);
        console.log(`  ${workload} round ${round + 1} ${name.padEnd(8)} ${m.rps.toFixed(0).padStart(6)} req/s  p50 ${m.p50ms} ms  p99 ${m.p99ms} ms  errors ${m.errors}  CPU ${m.cpuUsPerRequest} µs/req`);
      }
    }
    for (const [name, r] of Object.entries(runs)) results[workload]![name] = summary(r);
  }

  // The machine's limit for the heavy number: cores ÷ the CPU time of one check.
  const checks = 10;
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < checks; i++) checkPrimeSync(HEAVY_N, { checks: 64 });
  const used = process.cpuUsage(cpuBefore);
  const checkMs = (used.user + used.system) / 1000 / checks;
  const heavyLimit = (availableParallelism() * 1000) / checkMs;

  interface MixedRun {
    lightP50ms: number;
    lightP99ms: number;
    rps: number;
    failed: number;
    /** The proxy's CPU over the whole run ÷ its requests, light and heavy (0 without a proxy). */
    proxyCpuUsPerRequest: number;
    /**
     * The rest of the machine, per request, over the whole run: the workers' own processes
     * (their event loops), their calculators (the heavy checks), and this script (the load
     * generator). Throughput is what the calculators get of what the others leave.
     */
    workersCpuUsPerRequest: number;
    calculatorsCpuUsPerRequest: number;
    generatorCpuUsPerRequest: number;
    /**
     * Share of the machine's CPU time left idle from the end of the first second until the users
     * stop. Not the drain after it, when the last heavy checks finish with nothing else to run
     * (req/s counts that too: its window ends with the last answer).
     */
    machineIdlePercent: number;
  }
  interface MixedSummary extends MixedRun {
    /** Each round's own light p99, to show how far a single run can be trusted. */
    lightP99msByRound: number[];
    /** Each round's requests per second, in the same order. */
    rpsByRound: number[];
    /** Their median: a closed-loop generator sends fewer requests in a slow round, so pooling weighs slow rounds a little less. */
    lightP99msMedianOfRounds: number;
    lightRequests: number;
  }
  let mixed: Record<string, MixedSummary> | undefined;
  let p99RoundsWon: { distcalc: number; of: number } | undefined;
  /** Rounds in which ours completed more requests per second than nginx round robin (ties: neither). */
  let rpsRoundsWon: { distcalc: number; nginx: number; of: number } | undefined;
  /** Ours ÷ nginx round robin, round by round (pairedRatio): whether the rounds can tell them apart. */
  let byRound: { rps: PairedRatio; lightP99: PairedRatio } | undefined;
  if (!values['skip-mixed']) {
    // Most requests light, one in ten heavy, from the same users: per-class latency needs our
    // own generator (wrk reports one distribution), the same one for every target, and a lean
    // one (closed-loop.ts): the load test's virtual users added more tail than any proxy did.
    const paths = [...Array.from({ length: 9 }, () => LIGHT), HEAVY];
    const mixedRun = (origins: string[], ms: number) => runClosedLoop({ origins, paths, users: connections, durationMs: ms, timeoutMs: 30_000 });
    // Each with the processes whose CPU is the proxy's. The floor, 'no proxy': the same users
    // split between the two workers; whatever latency it has comes from the machine
    // (generator, workers, kernel), not from a proxy.
    const mixedTargets: Record<string, { run: (ms: number) => Promise<PhaseRun>; pids: () => number[] }> = {
      distcalc: { run: (ms) => mixedRun([targets.distcalc.url], ms), pids: ours },
      nginx: { run: (ms) => mixedRun([targets.nginx.url], ms), pids: nginx.pids },
      'nginx least_conn': { run: (ms) => mixedRun([`http://127.0.0.1:${PORTS.leastConn}`], ms), pids: nginx.pids },
      ...Object.fromEntries(Object.entries(minimal).map(([name, proxy]) => [name, { run: (ms: number) => mixedRun([proxy.url], ms), pids: proxy.pids }])),
      'no proxy': { run: (ms) => mixedRun(stack.workers.map((w) => `http://127.0.0.1:${w.port}`), ms), pids: () => [] },
    };
    // The heavy path (queueing, long waits) is not warmed by the light runs: one unmeasured
    // mixed run each first, so that no target's first round pays for JIT compilation.
    for (const { run } of Object.values(mixedTargets)) {
      await workersIdle();
      await run(4_000);
    }
    // A calculator the worker restarted mid-round is gone by the end of it: count what is left
    // rather than lose the whole run to an ENOENT.
    const cpuOf = (pids: number[]) =>
      pids.reduce((sum, pid) => {
        try {
          return sum + cpuSeconds(pid);
        } catch {
          return sum;
        }
      }, 0);
    const runs: Record<string, MixedRun[]> = {};
    const lightLatencies: Record<string, number[]> = {};
    const ms2 = (x: number) => Math.round(x * 100) / 100;
    for (let round = 0; round < mixedRounds; round++) {
      for (const [name, target] of inTurn(Object.entries(mixedTargets), round)) {
        await workersIdle();
        const workerPids = stack.workers.map((w) => w.pid!);
        const calculatorPids = workerPids.flatMap(childPids);
        if (calculatorPids.length === 0) console.warn('bench: no calculator processes found under the workers (/proc/<pid>/task/<pid>/children); their CPU reads 0');
        const cpuBefore = { proxy: cpuOf(target.pids()), workers: cpuOf(workerPids), calculators: cpuOf(calculatorPids) };
        const generatorBefore = process.cpuUsage();
        const sampler = sampleCpuTimes();
        const run = await target.run((seconds + MIXED_SETTLE_S) * 1000);
        const samples = sampler.stop();
        const generatorUsed = process.cpuUsage(generatorBefore);
        const proxyCpu = cpuOf(target.pids()) - cpuBefore.proxy;
        const perRequest = (cpuSecondsUsed: number) => Math.round((cpuSecondsUsed * 1e6) / Math.max(1, run.records.length));
        // The first second (50 new connections, the path warming up) is not the
        // steady state being compared: left out of latency and throughput alike.
        const from = run.startedAt + MIXED_SETTLE_S * 1000;
        const measured = run.records.filter((r) => r.start >= from);
        const light = measured.filter((r) => r.path === LIGHT && r.error === null).map((r) => r.latencyMs).sort((a, b) => a - b);
        (lightLatencies[name] ??= []).push(...light);
        const m: MixedRun = {
          lightP50ms: ms2(percentile(light, 50)),
          lightP99ms: ms2(percentile(light, 99)),
          // Answers completed per second in the measured window.
          rps: Math.round((run.records.filter((r) => r.start + r.latencyMs >= from).length * 1000) / (run.endedAt - from)),
          failed: run.records.filter((r) => r.error !== null).length,
          proxyCpuUsPerRequest: perRequest(proxyCpu),
          workersCpuUsPerRequest: perRequest(cpuOf(workerPids) - cpuBefore.workers),
          calculatorsCpuUsPerRequest: perRequest(cpuOf(calculatorPids) - cpuBefore.calculators),
          generatorCpuUsPerRequest: perRequest((generatorUsed.user + generatorUsed.system) / 1e6),
          machineIdlePercent: Math.round(idleOver(samples, from, run.startedAt + (seconds + MIXED_SETTLE_S) * 1000) * 100) / 100,
        };
        console.log(
          `  mixed round ${round + 1} ${name.padEnd(27)} ${String(m.rps).padStart(6)} req/s  light p50 ${m.lightP50ms} ms  light p99 ${m.lightP99ms} ms  failed ${m.failed}  proxy CPU ${m.proxyCpuUsPerRequest} µs/req` +
            `  (workers ${m.workersCpuUsPerRequest}, calculators ${m.calculatorsCpuUsPerRequest}, generator ${m.generatorCpuUsPerRequest} µs/req; machine idle ${m.machineIdlePercent} %)`,
        );
        (runs[name] ??= []).push(m);
      }
    }
    mixed = Object.fromEntries(
      Object.entries(runs).map(([name, all]) => {
        const light = lightLatencies[name]!.sort((a, b) => a - b);
        const summary: MixedSummary = {
          lightP50ms: ms2(percentile(light, 50)),
          lightP99ms: ms2(percentile(light, 99)),
          lightP99msByRound: all.map((r) => r.lightP99ms),
          rpsByRound: all.map((r) => r.rps),
          lightP99msMedianOfRounds: median(all.map((r) => r.lightP99ms)),
          lightRequests: light.length,
          rps: median(all.map((r) => r.rps)),
          failed: all.reduce((n, r) => n + r.failed, 0),
          proxyCpuUsPerRequest: median(all.map((r) => r.proxyCpuUsPerRequest)),
          workersCpuUsPerRequest: median(all.map((r) => r.workersCpuUsPerRequest)),
          calculatorsCpuUsPerRequest: median(all.map((r) => r.calculatorsCpuUsPerRequest)),
          generatorCpuUsPerRequest: median(all.map((r) => r.generatorCpuUsPerRequest)),
          machineIdlePercent: median(all.map((r) => r.machineIdlePercent)),
        };
        return [name, summary];
      }),
    );
    const oursByRound = runs.distcalc!;
    const nginxByRound = runs.nginx!;
    p99RoundsWon = { distcalc: oursByRound.filter((r, i) => r.lightP99ms < nginxByRound[i]!.lightP99ms).length, of: mixedRounds };
    rpsRoundsWon = {
      distcalc: oursByRound.filter((r, i) => r.rps > nginxByRound[i]!.rps).length,
      nginx: oursByRound.filter((r, i) => r.rps < nginxByRound[i]!.rps).length,
      of: mixedRounds,
    };
    console.log(`  mixed: distcalc's light p99 below nginx's in ${p99RoundsWon.distcalc} of ${mixedRounds} rounds`);
    console.log(`  mixed: distcalc's req/s above nginx's in ${rpsRoundsWon.distcalc} of ${mixedRounds} rounds, below in ${rpsRoundsWon.nginx}`);
    byRound = {
      rps: pairedRatio(oursByRound.map((r) => r.rps), nginxByRound.map((r) => r.rps)),
      lightP99: pairedRatio(oursByRound.map((r) => r.lightP99ms), nginxByRound.map((r) => r.lightP99ms)),
    };
    const show = ({ mean, low, high }: PairedRatio) =>
      `${mean.toFixed(3)}× (${Number.isFinite(high) ? `95 % interval ${low.toFixed(3)}–${high.toFixed(3)}` : 'one round: no interval'})`;
    console.log(`  mixed, distcalc ÷ nginx round by round: req/s ${show(byRound.rps)}, light p99 ${show(byRound.lightP99)}`);
    for (const [name, m] of Object.entries(mixed)) {
      console.log(
        `  mixed, where the CPU went with ${name} (medians, µs per request): proxy ${m.proxyCpuUsPerRequest}, workers ${m.workersCpuUsPerRequest}, calculators ${m.calculatorsCpuUsPerRequest}, generator ${m.generatorCpuUsPerRequest}; machine idle ${m.machineIdlePercent} %`,
      );
    }
  }

  const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
  const report = {
    date: new Date().toISOString(),
    machine: `${availableParallelism()} cores (${cpus()[0]?.model.trim()}), shared by wrk, the balancer and both workers`,
    settings: { seconds, rounds, mixedRounds, connections, selection: values.selection, hedgeAfterMs: values['hedge-after-ms'] === 'auto' ? 'auto' : Number(values['hedge-after-ms'] ?? 0), capacity: values.capacity ?? 'one per core (the calculator threads)', light: LIGHT, heavy: '2^1279-1' },
    light: { ...results.light, ratio: { rps: ratio(results.light!.distcalc!.rps, results.light!.nginx!.rps), cpu: ratio(results.light!.distcalc!.cpuUsPerRequest, results.light!.nginx!.cpuUsPerRequest) } },
    heavy: {
      ...results.heavy,
      checkCpuMs: Math.round(checkMs * 100) / 100,
      machineLimitRps: Math.round(heavyLimit * 10) / 10,
      shareOfLimit: { distcalc: ratio(results.heavy!.distcalc!.rps, heavyLimit), nginx: ratio(results.heavy!.nginx!.rps, heavyLimit) },
    },
    mixed: mixed && { ...mixed, p99RoundsWon, rpsRoundsWon, byRound },
  };
  const outDir = join(projectRoot, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const stamp = report.date.replace(/[:.]/g, '-');
  writeFileSync(join(outDir, `bench-${stamp}.json`), JSON.stringify(report, null, 2));
  writeFileSync(
    join(outDir, `bench-${stamp}.svg`),
    barChart('distcalc ÷ nginx (same workers, same load, one run)', [
      ['light req/s', report.light.ratio.rps],
      ['light CPU/req', report.light.ratio.cpu],
      ['heavy req/s', ratio(results.heavy!.distcalc!.rps, results.heavy!.nginx!.rps)],
      ...(mixed ? ([['mixed light p99', ratio(mixed.distcalc!.lightP99ms, mixed.nginx!.lightP99ms)], ['mixed req/s', ratio(mixed.distcalc!.rps, mixed.nginx!.rps)]] as Array<[string, number]>) : []),
    ]),
  );
  console.log(JSON.stringify(report, null, 2));
  console.log(`written: bench/results/bench-${stamp}.json and .svg`);
} finally {
  await Promise.all(Object.values(minimal).map((proxy) => proxy.stop()));
  await nginx.stop();
  await stack.stop();
}
