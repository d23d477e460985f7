import express from 'express';
import { listen, type Running } from './in-process.js';

export interface CountWorker extends Running {
  name: string;
  /** The ranges it was asked to count, in order, and how many of those the client cancelled. */
  seen: { ranges: Array<[bigint, bigint]>; cancelled: number };
  /** Changes how it answers from now on. */
  behave(behaviour: Partial<CountBehaviour>): void;
}

export interface CountBehaviour {
  /** Answer after this long (a task's work). */
  delayMs: number;
  /** Never answer tasks (a frozen worker); its health check still answers unless `healthy` is false. */
  hang: boolean;
  healthy: boolean;
  /** Answer this status instead of a count. */
  status: number | undefined;
  /** Refuse (400 invalid_range, as the real worker's MAX_TASK_SPAN does) a range wider than this. */
  maxSpan: bigint | undefined;
}

/**
 * A stand-in worker for the balancer's job tests: answers `/count_primes/:from/:to` exactly,
 * with a plain sieve (small ranges only), after a chosen delay or never. The real worker's
 * sieve has its own tests against primesieve; this one lets the coordinator's behaviour be
 * tested without the real sieve's timing.
 */
export async function countWorker(name: string, behaviour: Partial<CountBehaviour> = {}): Promise<CountWorker> {
  let how: CountBehaviour = { delayMs: 0, hang: false, healthy: true, status: undefined, maxSpan: undefined, ...behaviour };
  const seen: CountWorker['seen'] = { ranges: [], cancelled: 0 };
  const app = express();
  app.get('/health_check', (_req, res) => {
    if (how.healthy) res.json({ status: 'ok', server: name, in_flight: 0 });
  });
  app.get('/count_primes/:from/:to', (req, res) => {
    const from = BigInt(req.params.from);
    const to = BigInt(req.params.to);
    seen.ranges.push([from, to]);
    res.on('close', () => {
      if (!res.writableFinished) seen.cancelled += 1;
    });
    if (how.hang) return;
    if (how.status !== undefined || (how.maxSpan !== undefined && to - from + 1n > how.maxSpan)) {
      res.status(how.status ?? 400).json({ error: 'invalid_range', message: 'refused' });
      return;
    }
    setTimeout(() => res.json({ ...naiveCount(Number(from), Number(to)), elapsed_ms: how.delayMs, server: name }), how.delayMs);
  });
  const running = await listen(app);
  return { ...running, name, seen, behave: (change) => (how = { ...how, ...change }) };
}

/** The counts of [from, to] by a plain sieve of Eratosthenes over that window (and p + 2 past its end). */
export function naiveCount(from: number, to: number) {
  const end = to + 2;
  const root = Math.floor(Math.sqrt(end));
  const small = new Uint8Array(root + 1);
  const composite = new Uint8Array(end - from + 1);
  for (let n = from; n < 2 && n <= end; n++) composite[n - from] = 1;
  for (let p = 2; p <= root; p++) {
    if (small[p]) continue;
    for (let m = p * p; m <= root; m += p) small[m] = 1;
    for (let m = Math.max(p * p, Math.ceil(from / p) * p); m <= end; m += p) composite[m - from] = 1;
  }
  let primes = 0;
  let twins = 0;
  let first: number | null = null;
  let last: number | null = null;
  for (let n = from; n <= to; n++) {
    if (composite[n - from]) continue;
    primes += 1;
    first ??= n;
    last = n;
    if (n + 2 <= to && !composite[n + 2 - from]) twins += 1;
  }
  return { from: String(from), to: String(to), primes: String(primes), twin_primes: String(twins), first_prime: first === null ? null : String(first), last_prime: last === null ? null : String(last) };
}
