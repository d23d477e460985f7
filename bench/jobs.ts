/**
 * `npm run bench:jobs`: jobs (API.md, "Jobs") on a real balancer and two real workers, each
 * worker running one task at a time (CAPACITY=1), as ratios measured in one run (times as
 * pairs from the same round, since the machine's speed drifts):
 *   - scaling: the same job on one worker, then on two (rounds alternate the order), and the
 *     coordination overhead: wall time minus the longest chain of task times (journal);
 *   - faults: a worker SIGKILLed at half the job, started again at once, or not at all, against
 *     an undisturbed two-worker run of the same round, with the counts compared;
 *   - light `/is_prime` latency through the balancer during a job against the same load without
 *     one (before and after it), under two loads: closed-loop users pausing between requests
 *     (steady, CPU to spare) and the same users without pauses (the balancer saturated).
 * Every count is checked against the known values for [0, 10^10] and [0, 10^11], or else
 * against the first undisturbed run's. BENCHMARKS.md ("Jobs") has the method and the result.
 *
 *   npm run bench:jobs
 *   npm run bench:jobs -- --to 5e10 --rounds 1 --fault-rounds 1 --latency-seconds 5
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseWhole } from '../scripts/job/numbers.js';
import { createLocalStack } from '../scripts/lib/local-stack.js';
import { projectRoot } from '../scripts/lib/managed-process.js';
import { cancelJob, submitJob, waitUntil } from './job-client.js';
import { bringBack, killAt, lightWindow, runJob, summarizeLatency, withoutWorker, type JobRun, type LatencyWindow, type LightLatency, type LightLoad, type Range } from './job-runs.js';
import { pairedRatio, type PairedRatio } from './paired-ratio.js';
import { median } from './rounds.js';

const { values } = parseArgs({
  options: {
    from: { type: 'string', default: '0' },
    // About 20 s on one worker's sieving thread here (2 cores, AMD EPYC), checked against π(10^11).
    to: { type: 'string', default: '1e11' },
    // Each round's pair cancels the machine's drift; the rounds' ratios still spread by ±10-20 %.
    rounds: { type: 'string', default: '4' },
    'fault-rounds': { type: 'string', default: '4' },
    'latency-seconds': { type: 'string', default: '10' },
    'light-users': { type: 'string', default: '8' },
    'pause-ms': { type: 'string', default: '10' },
  },
});
/** A whole number as people type it (1e10, 10^10), of at least `min`, or the run stops here. */
function whole(name: string, text: string, min = 0n): string {
  const parsed = parseWhole(text);
  if (parsed === undefined || BigInt(parsed) < min) {
    console.error(`bench:jobs: --${name} must be a whole number of at least ${min}, not ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return parsed;
}
const range: Range = { from: whole('from', values.from), to: whole('to', values.to, 1n) };
const rounds = Number(whole('rounds', values.rounds, 1n));
const faultRounds = Number(whole('fault-rounds', values['fault-rounds']));
const latencySeconds = Number(whole('latency-seconds', values['latency-seconds'], 1n));
const lightUsers = Number(whole('light-users', values['light-users'], 1n));
const pauseMs = Number(whole('pause-ms', values['pause-ms'], 1n));
/** The job the light load runs beside: far longer than the windows, cancelled after them. */
const LATENCY_JOB: Range = { from: '1000000000000', to: '2000000000000' };
const WARM_UP: Range = { from: '0', to: '10000000000' };

const LIGHT = '/is_prime/524287';
/** π(x) and the twin pairs below x (both members ≤ x), for jobs over [0, x]. */
const KNOWN: Record<string, { primes: string; twins: string }> = {
  '10000000000': { primes: '455052511', twins: '27412679' },
  '100000000000': { primes: '4118054813', twins: '224376048' },
};
const load = () => `load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`;

const logDir = join(projectRoot, 'logs', 'bench-jobs');
mkdirSync(logDir, { recursive: true });
// Its own journal, so that no earlier job is replayed and nothing is left in data/.
const dataDir = mkdtempSync(join(tmpdir(), 'distcalc-jobs-bench-'));
const stack = createLocalStack({ balancerPorts: [9210], workerPorts: [9211, 9212], logDir, dataDir, direct: true, env: { LOG_LEVEL: 'info', CAPACITY: '1' } });
await stack.start();
const second = stack.workers[1]!;

const checks: string[] = [];
/** Records whether a result matches the expected one and says so. */
function check(run: Pick<JobRun, 'label' | 'primes' | 'twins'>, expected: { primes: string; twins: string }, what: string): boolean {
  const ok = run.primes === expected.primes && run.twins === expected.twins;
  const line = `${run.label}: primes ${run.primes}, twins ${run.twins} ${ok ? 'match' : 'DIFFER from'} ${what} (${expected.primes}, ${expected.twins})`;
  checks.push(line);
  console.log(`    ${line}`);
  return ok;
}

try {
  console.log(`bench:jobs: [${range.from}, ${range.to}] on ${availableParallelism()} cores (${cpus()[0]?.model.trim()}), CAPACITY=1 per worker; ${load()}`);
  // Unmeasured: the sieve and the task path warmed on both workers.
  check(await runJob(stack, dataDir, WARM_UP, 'warm-up [0, 10^10]'), KNOWN[WARM_UP.to]!, 'the known values');

  const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;
  console.log(`scaling (${rounds} rounds, the order alternating)`);
  const one: JobRun[] = [];
  const two: JobRun[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const workers of round % 2 === 0 ? [1, 2] : [2, 1]) {
      if (workers === 1) {
        await withoutWorker(stack, second);
        one.push(await runJob(stack, dataDir, range, `round ${round + 1}, one worker`));
        await bringBack(stack, second);
      } else {
        two.push(await runJob(stack, dataDir, range, `round ${round + 1}, two workers`));
      }
    }
  }
  const reference = two[0]!;
  const known = range.from === '0' ? KNOWN[range.to] : undefined;
  for (const run of [...one, ...two]) check(run, known ?? reference, known ? 'the known values' : 'the first two-worker run');

  // The machine's speed drifts (a virtual CPU shares its host): each fault run is set against an
  // undisturbed run of the same round, and the two kinds of fault take turns going first.
  console.log(`faults (${faultRounds} rounds; ${load()})`);
  const undisturbed: JobRun[] = [];
  const restarted: JobRun[] = [];
  const lost: JobRun[] = [];
  for (let round = 0; round < faultRounds; round++) {
    undisturbed.push(await runJob(stack, dataDir, range, `round ${round + 1}, undisturbed`));
    for (const restart of round % 2 === 0 ? [true, false] : [false, true]) {
      const label = `round ${round + 1}, killed, ${restart ? 'restarted' : 'not restarted'}`;
      (restart ? restarted : lost).push(await runJob(stack, dataDir, range, label, killAt(stack, second, 0.5, restart)));
      await bringBack(stack, second);
    }
  }
  for (const run of [...undisturbed, ...restarted, ...lost]) check(run, reference, 'the first two-worker run');

  console.log(`light ${LIGHT}, ${latencySeconds} s windows, without a job and beside [${LATENCY_JOB.from}, ${LATENCY_JOB.to}]; ${load()}`);
  const loads: LightLoad[] = [
    { name: `${lightUsers} users, ${pauseMs} ms pauses`, users: lightUsers, pauseMs },
    { name: `${lightUsers} users, no pauses`, users: lightUsers, pauseMs: 0 },
  ];
  const windows = new Map(loads.map((l) => [l.name, { without: [] as LatencyWindow[], with: [] as LatencyWindow[] }]));
  const measure = async (order: LightLoad[], key: 'with' | 'without') => {
    for (const l of order) windows.get(l.name)![key].push(await lightWindow(stack.balancerUrl, LIGHT, { ...l, name: `${key} a job, ${l.name}` }, latencySeconds));
  };
  // Unmeasured: the light path warmed on the balancer and on a worker started again above.
  await lightWindow(stack.balancerUrl, LIGHT, { ...loads[0]!, name: 'warm-up' }, 3);
  await measure(loads, 'without');
  const job = await submitJob(stack.balancerUrl, LATENCY_JOB.from, LATENCY_JOB.to);
  await waitUntil(stack.balancerUrl, job.id, (j) => j.status === 'running' && j.progress.tasks_done > 0);
  await measure([...loads, ...[...loads].reverse()], 'with');
  const jobRanThroughout = (await cancelJob(stack.balancerUrl, job.id)).status === 'cancelled';
  if (!jobRanThroughout) console.log('    the job ended before the last window did: not every window ran beside it');
  await measure([...loads].reverse(), 'without');
  const light = loads.map((l) => {
    const w = windows.get(l.name)!;
    const [withoutJob, withJob] = [summarizeLatency(w.without), summarizeLatency(w.with)];
    return { load: l, withoutJob, withJob, p50Ratio: ratio(withJob.p50ms, withoutJob.p50ms), p99Ratio: ratio(withJob.p99ms, withoutJob.p99ms) };
  });

  const overhead = (runs: JobRun[]) => Math.round(median(runs.map((x) => (x.wallMs - x.chainMs) / x.wallMs)) * 1000) / 1000;
  const walls = (runs: JobRun[]) => runs.map((x) => x.wallMs);
  const report = {
    date: new Date().toISOString(),
    machine: `${availableParallelism()} cores (${cpus()[0]?.model.trim()}), shared by the balancer, both workers and this process`,
    settings: { range, rounds, faultRounds, latencySeconds, lightUsers, pauseMs, latencyJob: LATENCY_JOB, capacityPerWorker: 1 },
    scaling: {
      /** Two workers' time ÷ one worker's, round by round (geometric mean, 95 % interval). */
      twoOverOne: pairedRatio(walls(two), walls(one)),
      oneWorkerMedianMs: median(walls(one)),
      twoWorkersMedianMs: median(walls(two)),
      overheadTwoWorkers: overhead([...two, ...undisturbed]),
      overheadOneWorker: overhead(one),
    },
    faults: {
      restartedOverUndisturbed: faultRounds ? pairedRatio(walls(restarted), walls(undisturbed)) : null,
      notRestartedOverUndisturbed: faultRounds ? pairedRatio(walls(lost), walls(undisturbed)) : null,
    },
    light: { byLoad: light, jobRanThroughout },
    exact: { allMatch: checks.every((c) => c.includes(' match ')), checks },
    runs: { one, two, undisturbed, restarted, lost },
  };
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const show = (p: PairedRatio | null) => (p ? `${p.mean.toFixed(3)}× (${Number.isFinite(p.high) ? `95 % interval ${p.low.toFixed(3)}–${p.high.toFixed(3)}` : 'one round: no interval'})` : 'not run');
  console.log(`summary (${load()})`);
  console.log(`  two workers ÷ one, round by round: ${show(report.scaling.twoOverOne)} (target ≤ 0.55×)`);
  console.log(`  coordination overhead, medians: two workers ${pct(report.scaling.overheadTwoWorkers)}, one worker ${pct(report.scaling.overheadOneWorker)} (target ≤ 5 %)`);
  console.log(`  killed at 50 % ÷ undisturbed, round by round: restarted ${show(report.faults.restartedOverUndisturbed)} (≤ 1.3×); not restarted ${show(report.faults.notRestartedOverUndisturbed)} (≤ 1.6×)`);
  for (const l of light) {
    const shown = (x: LightLatency) => `p50 ${x.p50ms} / p99 ${x.p99ms} ms over ${x.requests} requests, ${x.failed} failed`;
    console.log(`  light, ${l.load.name}, during a job ÷ without: p50 ${l.p50Ratio}×, p99 ${l.p99Ratio}× (${shown(l.withJob)} against ${shown(l.withoutJob)})`);
  }
  console.log(`  every count exact: ${report.exact.allMatch}`);
  const outDir = join(projectRoot, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `jobs-${report.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2));
  console.log(`written: ${file}`);
} finally {
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
