/**
 * How fast one worker counts primes, against primesieve on the same machine in the same run:
 * the count of [10^12, 10^12 + 10^9] (primes and twin pairs) on one thread,
 *   - by the sieve function itself, on this process's main thread (PrimeCounter), and
 *   - through the real calculator path (a calculator process at the lowest priority, one
 *     sieving thread), as a worker runs it;
 * against `primesieve 1e12 1e12+1e9 -t1 -c1 -c2`. Rounds alternate the programs, and each
 * round's ratio is taken (the machine is shared: rounds differ, a round's pair less so). Wall
 * time and CPU time are both compared; on a busy machine CPU time is the steadier one, and the
 * calculator's wall time includes waiting for CPU at its idle priority (its CPU time is read
 * from /proc: Linux only).
 *
 * Then π(10^10) and the twin pairs below 10^10 through the calculator, split into tasks as the
 * balancer splits a job (pairs straddling two tasks found from their first and last primes).
 *
 *   npx tsx bench/sieve.ts            (SIEVE_ROUNDS=5 by default)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { createCalculator } from '../src/worker/calculator.js';
import { PrimeCounter, type RangeCount } from '../src/worker/sieve/prime-counter.js';
import { pairedRatio } from './paired-ratio.js';

const FROM = 1e12;
const TO = 1e12 + 1e9;
const ROUNDS = Number(process.env.SIEVE_ROUNDS ?? 5);

interface Timing {
  wallMs: number;
  cpuMs: number;
}

/** primesieve's own timing (--time, the sieve alone) and its CPU time (bash's `times` for children). */
function primesieve(): Timing & { primes: number; twins: number } {
  const out = execFileSync('bash', ['-c', `primesieve ${FROM} ${TO} -t1 -c1 -c2 --time --no-status; times`], { encoding: 'utf8' });
  const seconds = (m: string, s: string): number => (Number(m) * 60 + Number(s)) * 1000;
  const children = [...out.matchAll(/(\d+)m([\d.]+)s/g)].slice(2, 4).map((m) => seconds(m[1]!, m[2]!));
  return {
    wallMs: Number(/Seconds: ([\d.]+)/.exec(out)![1]) * 1000,
    cpuMs: children[0]! + children[1]!,
    primes: Number(/Primes: (\d+)/.exec(out)![1]),
    twins: Number(/Twin primes: (\d+)/.exec(out)![1]),
  };
}

function direct(counter: PrimeCounter): Timing & { count: RangeCount } {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const count = counter.count(FROM, TO)!;
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000, count };
}

/** A process's CPU time so far (user and system, from /proc: Linux only), in ms. */
function cpuOf(pid: number | undefined): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function check(what: string, count: RangeCount, reference: { primes: number; twins: number }): void {
  if (count.primes !== reference.primes || count.twinPrimes !== reference.twins) {
    throw new Error(`${what} counted ${count.primes} primes and ${count.twinPrimes} twin pairs; primesieve ${reference.primes} and ${reference.twins}`);
  }
}

const format = (r: { mean: number; low: number; high: number }): string =>
  `${r.mean.toFixed(2)}x (95 % interval ${r.low.toFixed(2)}-${Number.isFinite(r.high) ? r.high.toFixed(2) : '∞'})`;

try {
  execFileSync('primesieve', ['--version'], { stdio: 'ignore' });
} catch {
  console.error('primesieve, the reference, is not installed: apt-get install primesieve');
  process.exit(1);
}

const counter = new PrimeCounter();
const calculator = createCalculator({ threads: 2, logger: pino({ level: 'silent' }) });
try {
  // Warm up: JIT, base primes, buffers, in both places.
  counter.count(FROM, FROM + 1e8);
  await calculator.countPrimes(FROM, FROM + 1e8);

  const rows: Array<{ theirs: Timing; ours: Timing; viaCalculator: Timing }> = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const theirs = primesieve();
    const ours = direct(counter);
    check('the sieve function', ours.count, theirs);
    const started = performance.now();
    const cpu = cpuOf(calculator.pid);
    check('the calculator', await calculator.countPrimes(FROM, TO), theirs);
    const viaCalculator = { wallMs: performance.now() - started, cpuMs: cpuOf(calculator.pid) - cpu };
    rows.push({ theirs, ours, viaCalculator });
    console.log(
      `round ${round}: ours/primesieve  wall ${(ours.wallMs / theirs.wallMs).toFixed(2)}  cpu ${(ours.cpuMs / theirs.cpuMs).toFixed(2)}` +
        `  calculator wall ${(viaCalculator.wallMs / theirs.wallMs).toFixed(2)}  cpu ${(viaCalculator.cpuMs / theirs.cpuMs).toFixed(2)}` +
        `   (primesieve ${theirs.wallMs.toFixed(0)} ms wall, ${theirs.cpuMs.toFixed(0)} ms cpu)`,
    );
  }
  console.log(`\n[10^12, 10^12 + 10^9], one thread, ${ROUNDS} rounds, counts equal to primesieve's in every round:`);
  console.log(`  sieve function, wall time:  ${format(pairedRatio(rows.map((r) => r.ours.wallMs), rows.map((r) => r.theirs.wallMs)))} primesieve -t1`);
  console.log(`  sieve function, CPU time:   ${format(pairedRatio(rows.map((r) => r.ours.cpuMs), rows.map((r) => r.theirs.cpuMs)))} primesieve -t1`);
  console.log(`  calculator path, wall time: ${format(pairedRatio(rows.map((r) => r.viaCalculator.wallMs), rows.map((r) => r.theirs.wallMs)))} primesieve -t1 (includes waiting for CPU at idle priority)`);
  console.log(`  calculator path, CPU time:  ${format(pairedRatio(rows.map((r) => r.viaCalculator.cpuMs), rows.map((r) => r.theirs.cpuMs)))} primesieve -t1`);

  // π(10^10) and π2(10^10) over two sieving threads, as ten tasks of 10^9.
  const started = performance.now();
  const tasks = Array.from({ length: 10 }, (_, i) => calculator.countPrimes(i * 1e9 + (i === 0 ? 0 : 1), (i + 1) * 1e9));
  const counts = await Promise.all(tasks);
  let primes = 0;
  let twins = 0;
  counts.forEach((count, i) => {
    primes += count.primes;
    twins += count.twinPrimes;
    const previous = counts[i - 1];
    if (previous?.lastPrime != null && count.firstPrime != null && count.firstPrime - previous.lastPrime === 2) twins += 1;
  });
  const ok = primes === 455_052_511 && twins === 27_412_679;
  console.log(`\nπ(10^10) = ${primes}, twin pairs below 10^10 = ${twins}: ${ok ? 'as known (455052511, 27412679)' : 'WRONG, expected 455052511 and 27412679'}` +
    ` (ten tasks on two sieving threads, ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  if (!ok) process.exitCode = 1;
} finally {
  await calculator.close();
}
