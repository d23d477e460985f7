import { percentile } from '../scripts/load-test/stats.js';
import type { LocalStack } from '../scripts/lib/local-stack.js';
import { waitUntilActive } from '../scripts/lib/local-stack.js';
import type { ManagedProcess } from '../scripts/lib/managed-process.js';
import { runClosedLoop } from './closed-loop.js';
import { jobWallMs, longestChainMs, readTaskTimes, submitJob, waitForEnd, waitUntil, type JobView } from './job-client.js';

/** One job run to its end, timed by the balancer, with its tasks' times from the journal. */
export interface JobRun {
  label: string;
  wallMs: number;
  /** The largest per-worker sum of task times (longestChainMs). */
  chainMs: number;
  /** Per worker: the sum of its tasks' times. */
  busyMsByServer: Record<string, number>;
  tasks: number;
  retries: number;
  primes: string;
  twins: string;
}

export interface Range {
  from: string;
  to: string;
}

/** Runs a job over `range` on the stack as it is; `during` runs alongside it (a fault, a load). */
export async function runJob(stack: LocalStack, dataDir: string, range: Range, label: string, during?: (job: JobView) => Promise<void>): Promise<JobRun> {
  const submitted = await submitJob(stack.balancerUrl, range.from, range.to);
  await during?.(submitted);
  const job = await waitForEnd(stack.balancerUrl, submitted.id);
  if (job.status !== 'done' || !job.result) throw new Error(`job ${job.id} (${label}) ended ${job.status}: ${job.error}`);
  const tasks = readTaskTimes(dataDir, job.id);
  if (tasks.length !== job.progress.tasks_done) throw new Error(`job ${job.id} (${label}): the journal holds ${tasks.length} of its ${job.progress.tasks_done} tasks (compacted since it ended?)`);
  const chain = longestChainMs(tasks);
  const run: JobRun = {
    label,
    wallMs: jobWallMs(job),
    chainMs: chain.ms,
    busyMsByServer: chain.byServer,
    tasks: tasks.length,
    retries: job.retries,
    primes: job.result.primes,
    twins: job.result.twin_primes,
  };
  const busy = Object.entries(chain.byServer).map(([s, ms]) => `${s} ${(ms / 1000).toFixed(2)} s`).join(', ');
  console.log(
    `  ${label.padEnd(26)} ${(run.wallMs / 1000).toFixed(2)} s  (tasks ${run.tasks}, retries ${run.retries}; busy ${busy}; ` +
      `overhead ${(((run.wallMs - run.chainMs) / run.wallMs) * 100).toFixed(1)} %)  primes ${run.primes}, twins ${run.twins}`,
  );
  return run;
}

/** Stops a worker gracefully (it deregisters) and waits until the balancer has only the others. */
export async function withoutWorker(stack: LocalStack, worker: ManagedProcess): Promise<void> {
  await worker.stop('SIGTERM');
  const active = stack.workers.filter((w) => w.running).length;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const health = (await (await fetch(`${stack.balancerUrl}/health_check`)).json()) as { active_servers: number };
    if (health.active_servers === active) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the balancer still lists ${worker.name} as active`);
}

/** Starts a worker and waits until the balancer lists it as active. */
export async function bringBack(stack: LocalStack, worker: ManagedProcess): Promise<void> {
  if (!worker.running) await worker.start();
  await waitUntilActive(stack.balancerUrl, `http://127.0.0.1:${worker.port}`);
}

/**
 * A fault for `runJob`: once the job is `atFraction` done, SIGKILL the worker; with `restart`,
 * start it again at once (it registers anew and gets tasks again).
 */
export function killAt(stack: LocalStack, worker: ManagedProcess, atFraction: number, restart: boolean): (job: JobView) => Promise<void> {
  return async (job) => {
    const seen = await waitUntil(stack.balancerUrl, job.id, (j) => j.progress.fraction >= atFraction);
    await worker.stop('SIGKILL');
    console.log(`    ${worker.name} killed at ${(seen.progress.fraction * 100).toFixed(0)} %${restart ? ', started again' : ''}`);
    if (restart) await bringBack(stack, worker);
  };
}

export interface LightLatency {
  requests: number;
  failed: number;
  p50ms: number;
  p99ms: number;
}

export interface LightLoad {
  name: string;
  users: number;
  /** Each user's pause between an answer and its next request. */
  pauseMs: number;
}

export interface LatencyWindow {
  latencies: number[];
  failed: number;
}

/** Light requests from closed-loop users through the balancer for `seconds`; the first second is left out. */
export async function lightWindow(balancerUrl: string, path: string, load: LightLoad, seconds: number): Promise<LatencyWindow> {
  const run = await runClosedLoop({ origins: [balancerUrl], paths: [path], users: load.users, pauseMs: load.pauseMs, durationMs: (seconds + 1) * 1000, timeoutMs: 30_000 });
  const from = run.startedAt + 1000;
  const measured = run.records.filter((r) => r.start >= from);
  const window = { latencies: measured.filter((r) => r.error === null).map((r) => r.latencyMs), failed: measured.filter((r) => r.error !== null).length };
  const s = summarizeLatency([window]);
  console.log(`    ${load.name.padEnd(28)} ${String(Math.round(s.requests / seconds)).padStart(5)} req/s  p50 ${s.p50ms} ms  p99 ${s.p99ms} ms  failed ${s.failed}`);
  return window;
}

export function summarizeLatency(windows: readonly LatencyWindow[]): LightLatency {
  const all = windows.flatMap((w) => w.latencies).sort((a, b) => a - b);
  const ms2 = (x: number) => Math.round(x * 100) / 100;
  return { requests: all.length, failed: windows.reduce((n, w) => n + w.failed, 0), p50ms: ms2(percentile(all, 50)), p99ms: ms2(percentile(all, 99)) };
}
