import { checkPrimeSync } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { OPENSSL_ROUNDS } from '../src/worker/primality.js';
import { cpuOf, inTurn, median, workersIdle, type Target } from './rounds.js';
import { wrk, type WrkResult } from './tools.js';

export interface WrkRun extends WrkResult {
  /** The target's own processes' CPU over the run ÷ its requests. */
  cpuUsPerRequest: number;
  /** With `limitOf`: one check's CPU time, the mean of a measurement just before the run and one just after. */
  checkCpuMs?: number;
  /** With `limitOf`: requests per second ÷ the machine's limit (cores ÷ checkCpuMs). */
  shareOfLimit?: number;
}

/** One target's rounds of one workload: medians, and errors summed. */
export interface WrkSummary {
  rps: number;
  p50ms: number;
  p99ms: number;
  errors: number;
  cpuUsPerRequest: number;
  rounds: number;
  checkCpuMs?: number;
  shareOfLimit?: number;
}

export interface WrkRoundsSpec {
  targets: readonly Target[];
  /** Path asked for, e.g. `/is_prime/524287`. */
  path: string;
  /** Shown in each round's line. */
  workload: string;
  rounds: number;
  seconds: number;
  connections: number;
  workerPorts: readonly number[];
  /**
   * The number asked for, when each run should also be set against the machine's limit for it.
   * One check's CPU time moves with the machine (a virtual CPU shares its host, by a fifth within
   * a minute here), so it is measured around every run rather than once.
   */
  limitOf?: bigint;
}

/**
 * wrk against each target in turn, `rounds` times, the order reversed every other round; each
 * run starts with the workers idle. Returns each target's medians by name.
 */
export async function runWrkRounds(spec: WrkRoundsSpec): Promise<Record<string, WrkSummary>> {
  const runs = new Map<string, WrkRun[]>(spec.targets.map((t) => [t.name, []]));
  for (let round = 0; round < spec.rounds; round++) {
    for (const target of inTurn(spec.targets, round)) {
      await workersIdle(spec.workerPorts);
      const checkBefore = spec.limitOf === undefined ? undefined : checkCpuMs(spec.limitOf);
      const before = cpuOf(target.pids());
      const result = await wrk(`${target.url}${spec.path}`, spec.connections, spec.seconds);
      const cpu = cpuOf(target.pids()) - before;
      const m: WrkRun = { ...result, cpuUsPerRequest: Math.round((cpu * 1e6) / Math.max(1, result.requests)) };
      if (spec.limitOf !== undefined) {
        await workersIdle(spec.workerPorts);
        m.checkCpuMs = Math.round(((checkBefore! + checkCpuMs(spec.limitOf)) / 2) * 100) / 100;
        m.shareOfLimit = Math.round((m.rps / ((availableParallelism() * 1000) / m.checkCpuMs)) * 1000) / 1000;
      }
      runs.get(target.name)!.push(m);
      const limit = m.shareOfLimit === undefined ? '' : `  ${Math.round(m.shareOfLimit * 100)} % of the limit (one check ${m.checkCpuMs} ms of CPU)`;
      console.log(
        `  ${spec.workload} round ${round + 1} ${target.name.padEnd(18)} ${m.rps.toFixed(0).padStart(6)} req/s  p50 ${m.p50ms} ms  p99 ${m.p99ms} ms  errors ${m.errors}  CPU ${m.cpuUsPerRequest} µs/req${limit}`,
      );
    }
  }
  return Object.fromEntries([...runs].map(([name, r]) => [name, summarize(r)]));
}

function summarize(runs: readonly WrkRun[]): WrkSummary {
  return {
    rps: Math.round(median(runs.map((r) => r.rps))),
    p50ms: median(runs.map((r) => r.p50ms)),
    p99ms: median(runs.map((r) => r.p99ms)),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    cpuUsPerRequest: median(runs.map((r) => r.cpuUsPerRequest)),
    rounds: runs.length,
    ...(runs[0]?.shareOfLimit === undefined
      ? {}
      : { checkCpuMs: median(runs.map((r) => r.checkCpuMs!)), shareOfLimit: median(runs.map((r) => r.shareOfLimit!)) }),
  };
}

/**
 * One primality check of `n`'s CPU time in ms, measured here on this process's thread with the
 * call the workers' calculators make: the machine's limit for `n` is cores ÷ this.
 */
export function checkCpuMs(n: bigint, checks = 10): number {
  const before = process.cpuUsage();
  for (let i = 0; i < checks; i++) checkPrimeSync(n, { checks: OPENSSL_ROUNDS });
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / checks;
}
