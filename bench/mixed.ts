import { percentile } from '../scripts/load-test/stats.js';
import { runClosedLoop } from './closed-loop.js';
import { childPids, idleOver, sampleCpuTimes } from './machine.js';
import { pairedRatio, type PairedRatio } from './paired-ratio.js';
import { cpuOf, inTurn, median, workersIdle, type Target } from './rounds.js';

/** Seconds at the start of each mixed run that are not measured: new connections, the path warming up. */
const SETTLE_S = 1;

export interface MixedSpec {
  /** The proxies compared; 'no proxy', the same users split over the workers, is added as the floor. */
  targets: readonly Target[];
  light: string;
  heavy: string;
  rounds: number;
  seconds: number;
  users: number;
  workerPorts: readonly number[];
  /** The balancer's worker processes, for the CPU of the rest of the machine. */
  workerPids: () => number[];
}

export interface MixedRun {
  lightP50ms: number;
  lightP99ms: number;
  rps: number;
  failed: number;
  /** The proxy's CPU over the whole run ÷ its requests, light and heavy (0 without a proxy). */
  proxyCpuUsPerRequest: number;
  /**
   * The rest of the machine per request: the workers' own processes (their event loops), their
   * calculators (the heavy checks), and this process (the load generator). Throughput is what the
   * calculators get of what the others leave.
   */
  workersCpuUsPerRequest: number;
  calculatorsCpuUsPerRequest: number;
  generatorCpuUsPerRequest: number;
  /** Share of the machine left idle in the measured window (not the drain after the users stop). */
  machineIdlePercent: number;
}

export interface MixedSummary extends MixedRun {
  /** Light p99 of each round, in order: how far a single round can be trusted. */
  lightP99msByRound: number[];
  rpsByRound: number[];
  lightRequests: number;
}

/** distcalc against one reference, round by round (each round's ratio, then their geometric mean). */
export interface Comparison {
  lightP99: PairedRatio;
  rps: PairedRatio;
  lightP99RoundsBelow: number;
  rpsRoundsAbove: number;
  rpsRoundsBelow: number;
}

const ms2 = (x: number) => Math.round(x * 100) / 100;

/**
 * Nine light requests to one heavy from the same closed-loop users, every target in turn for
 * `rounds` rounds. Per-class latency needs our own generator (wrk reports one distribution), the
 * same for every target, and a lean one (closed-loop.ts). Latency percentiles pool every round's
 * light requests; throughput and the CPU figures are medians of the rounds.
 */
export async function runMixed(spec: MixedSpec): Promise<Record<string, MixedSummary>> {
  const paths = [...Array.from({ length: 9 }, () => spec.light), spec.heavy];
  const noProxy: Target = { name: 'no proxy', url: '', pids: () => [] };
  const targets = [...spec.targets, noProxy];
  const origins = (target: Target) => (target === noProxy ? spec.workerPorts.map((p) => `http://127.0.0.1:${p}`) : [target.url]);
  const run = (target: Target, ms: number) => runClosedLoop({ origins: origins(target), paths, users: spec.users, durationMs: ms, timeoutMs: 30_000 });
  // The heavy path (queueing, long waits) is not warmed by the light runs: one unmeasured run
  // each first, so that no target's first round pays for JIT compilation.
  for (const target of targets) {
    await workersIdle(spec.workerPorts);
    await run(target, 4_000);
  }
  const runs = new Map<string, MixedRun[]>(targets.map((t) => [t.name, []]));
  const lightLatencies = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  for (let round = 0; round < spec.rounds; round++) {
    for (const target of inTurn(targets, round)) {
      await workersIdle(spec.workerPorts);
      const workerPids = spec.workerPids();
      const calculatorPids = workerPids.flatMap(childPids);
      if (calculatorPids.length === 0) console.warn('bench: no calculator processes found under the workers (/proc/<pid>/task/<pid>/children); their CPU reads 0');
      const before = { proxy: cpuOf(target.pids()), workers: cpuOf(workerPids), calculators: cpuOf(calculatorPids), generator: process.cpuUsage() };
      const sampler = sampleCpuTimes();
      const result = await run(target, (spec.seconds + SETTLE_S) * 1000);
      const samples = sampler.stop();
      const generator = process.cpuUsage(before.generator);
      const perRequest = (cpuSeconds: number) => Math.round((cpuSeconds * 1e6) / Math.max(1, result.records.length));
      const from = result.startedAt + SETTLE_S * 1000;
      const measured = result.records.filter((r) => r.start >= from);
      const light = measured.filter((r) => r.path === spec.light && r.error === null).map((r) => r.latencyMs).sort((a, b) => a - b);
      lightLatencies.get(target.name)!.push(...light);
      const m: MixedRun = {
        lightP50ms: ms2(percentile(light, 50)),
        lightP99ms: ms2(percentile(light, 99)),
        // Answers completed per second in the measured window.
        rps: Math.round((result.records.filter((r) => r.start + r.latencyMs >= from).length * 1000) / (result.endedAt - from)),
        failed: result.records.filter((r) => r.error !== null).length,
        proxyCpuUsPerRequest: perRequest(cpuOf(target.pids()) - before.proxy),
        workersCpuUsPerRequest: perRequest(cpuOf(workerPids) - before.workers),
        calculatorsCpuUsPerRequest: perRequest(cpuOf(calculatorPids) - before.calculators),
        generatorCpuUsPerRequest: perRequest((generator.user + generator.system) / 1e6),
        machineIdlePercent: ms2(idleOver(samples, from, result.startedAt + (spec.seconds + SETTLE_S) * 1000)),
      };
      console.log(
        `  mixed round ${round + 1} ${target.name.padEnd(18)} ${String(m.rps).padStart(5)} req/s  light p50 ${m.lightP50ms} ms  p99 ${m.lightP99ms} ms  failed ${m.failed}  proxy CPU ${m.proxyCpuUsPerRequest} µs/req` +
          `  (workers ${m.workersCpuUsPerRequest}, calculators ${m.calculatorsCpuUsPerRequest}, generator ${m.generatorCpuUsPerRequest} µs/req; idle ${m.machineIdlePercent} %)`,
      );
      runs.get(target.name)!.push(m);
    }
  }
  return Object.fromEntries([...runs].map(([name, all]) => [name, summarize(all, lightLatencies.get(name)!.sort((a, b) => a - b))]));
}

function summarize(all: readonly MixedRun[], light: readonly number[]): MixedSummary {
  const med = (pick: (r: MixedRun) => number) => ms2(median(all.map(pick)));
  return {
    lightP50ms: ms2(percentile(light, 50)),
    lightP99ms: ms2(percentile(light, 99)),
    lightP99msByRound: all.map((r) => r.lightP99ms),
    rpsByRound: all.map((r) => r.rps),
    lightRequests: light.length,
    rps: med((r) => r.rps),
    failed: all.reduce((n, r) => n + r.failed, 0),
    proxyCpuUsPerRequest: med((r) => r.proxyCpuUsPerRequest),
    workersCpuUsPerRequest: med((r) => r.workersCpuUsPerRequest),
    calculatorsCpuUsPerRequest: med((r) => r.calculatorsCpuUsPerRequest),
    generatorCpuUsPerRequest: med((r) => r.generatorCpuUsPerRequest),
    machineIdlePercent: med((r) => r.machineIdlePercent),
  };
}

/** `ours` against `theirs`, round by round: each round's ratio cancels most of what that round did to both. */
export function compareRounds(ours: MixedSummary, theirs: MixedSummary): Comparison {
  const rounds = ours.rpsByRound.map((rps, i) => ({ rps, theirRps: theirs.rpsByRound[i]!, p99: ours.lightP99msByRound[i]!, theirP99: theirs.lightP99msByRound[i]! }));
  return {
    lightP99: pairedRatio(ours.lightP99msByRound, theirs.lightP99msByRound),
    rps: pairedRatio(ours.rpsByRound, theirs.rpsByRound),
    lightP99RoundsBelow: rounds.filter((r) => r.p99 < r.theirP99).length,
    rpsRoundsAbove: rounds.filter((r) => r.rps > r.theirRps).length,
    rpsRoundsBelow: rounds.filter((r) => r.rps < r.theirRps).length,
  };
}
