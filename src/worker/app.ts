import express, { type Express } from 'express';
import { errorHandler, methodNotAllowed, notAllowed, notFound } from '../shared/error-handler.js';
import { metricsHandler } from '../shared/metrics-route.js';
import { createHttpLogger } from '../shared/http-logger.js';
import { HttpError } from '../shared/http-error.js';
import { securityHeaders } from '../shared/security-headers.js';
import type { Logger } from '../shared/logger.js';
import { numberSegment, parseNumber } from '../shared/number.js';
import { CalculationQueue } from './calculation-queue.js';
import { CancelledError } from './calculator.js';
import { parseRange, rangeSegments } from './count-range.js';
import { DEFAULT_MAX_TASK_SPAN } from './config.js';
import { createWorkerMetrics, type WorkerMetrics } from './metrics.js';
import { isPrime as defaultIsPrime, methodFor } from './primality.js';
import { PrimeCounter, type RangeCount } from './sieve/prime-counter.js';
import type { WorkState } from './work-state.js';

/** Counts a range; rejects with CancelledError when `signal` aborted it first. */
export type CountPrimes = (from: number, to: number, signal: AbortSignal) => Promise<RangeCount>;

export interface WorkerDeps {
  name: string;
  maxDigits: number;
  logger: Logger;
  state: WorkState;
  isPrime?: (n: bigint) => Promise<boolean>;
  /** main.ts passes the calculator's; the default counts on the event loop (for tests). */
  countPrimes?: CountPrimes;
  /** Most numbers one count may span (MAX_TASK_SPAN). */
  maxTaskSpan?: number;
  metrics?: WorkerMetrics;
  /** Large checks and counts run at once (the calculator's threads); the rest wait their turn here. */
  calculationSlots?: number;
}

export function createWorkerApp({
  name,
  maxDigits,
  logger,
  state,
  isPrime = defaultIsPrime,
  countPrimes = countOnEventLoop(),
  maxTaskSpan = DEFAULT_MAX_TASK_SPAN,
  metrics = createWorkerMetrics(state, { defaults: false }),
  calculationSlots = 4,
}: WorkerDeps): Express {
  const heavyQueue = new CalculationQueue(calculationSlots);
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(createHttpLogger(logger));
  app.use(securityHeaders);

  app
    .route('/health_check')
    .get((_req, res) => {
      if (state.isDraining) {
        res.status(503).json({ status: 'draining' });
        return;
      }
      res.json({ status: 'ok', server: name, in_flight: state.inFlight });
    })
    .all(methodNotAllowed(['GET']));

  // Mounted as a prefix so that the number is read from the raw URL: `/is_prime`, `/is_prime/`
  // and `/is_prime/%zz` are bad numbers (400), not unknown paths.
  app.use('/is_prime', async (req, res, next) => {
    const segment = numberSegment(req.url);
    if (segment === undefined) {
      next();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') throw notAllowed(req.method, ['GET']);
    const { value, text } = parseNumber(segment, maxDigits);
    if (state.isDraining) {
      throw new HttpError(503, 'draining', 'this server is shutting down', { 'Retry-After': '1' });
    }
    state.begin();
    try {
      // elapsed_ms is the calculation's time: from when it starts, not from when it began to
      // wait for a place.
      let started = performance.now();
      const calculate = (): Promise<boolean> => ((started = performance.now()), isPrime(value));
      const method = methodFor(value);
      const prime = method === 'openssl' ? await heavyQueue.run(calculate, () => !req.socket.destroyed) : await calculate();
      if (prime === undefined) {
        metrics.cancelled(method);
        req.log.debug('client gone before its calculation started: dropped');
        return;
      }
      const elapsedMs = performance.now() - started;
      metrics.calculation(method, elapsedMs / 1000);
      const elapsed = Math.round(elapsedMs * 1000) / 1000;
      res.json({ number: text, is_prime: prime, server: name, elapsed_ms: elapsed });
    } finally {
      state.end();
    }
  });

  // One task of a distributed count (API.md, "Jobs"); the limits are in count-range.ts. Read
  // from the raw URL as /is_prime is. A client that hangs up (the balancer cancelling a job)
  // stops its count within a segment, or drops it if it is still waiting for a thread.
  app.use('/count_primes', async (req, res, next) => {
    const segments = rangeSegments(req.url);
    if (segments === undefined) {
      next();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') throw notAllowed(req.method, ['GET']);
    const { from, to } = parseRange(segments.from, segments.to, maxTaskSpan);
    if (state.isDraining) {
      throw new HttpError(503, 'draining', 'this server is shutting down', { 'Retry-After': '1' });
    }
    const gone = new AbortController();
    // 'close' before the answer is written: the connection ended under it.
    const hangUp = (): void => {
      if (!res.writableFinished) gone.abort();
    };
    res.once('close', hangUp);
    // A task is cheap to redo elsewhere: a worker shutting down stops its counts at once and
    // answers 503, which the balancer runs again on another worker, rather than make its
    // shutdown wait for counts that may take longer than SHUTDOWN_TIMEOUT_MS.
    const stopOnDrain = state.whenDraining(() => gone.abort());
    const drained = () => new HttpError(503, 'draining', 'this server is shutting down; run the task elsewhere', { 'Retry-After': '1' });
    state.begin();
    try {
      // As for /is_prime: the count's own time, which the balancer sizes its tasks by.
      let started = performance.now();
      const count = await heavyQueue.run(() => ((started = performance.now()), countPrimes(from, to, gone.signal)), () => !gone.signal.aborted);
      if (count === undefined) {
        metrics.cancelled('sieve');
        if (state.isDraining) throw drained();
        req.log.debug('client gone before its count started: dropped');
        return;
      }
      const elapsedMs = performance.now() - started;
      metrics.calculation('sieve', elapsedMs / 1000);
      res.json({
        from: String(from),
        to: String(to),
        primes: String(count.primes),
        twin_primes: String(count.twinPrimes),
        first_prime: count.firstPrime === null ? null : String(count.firstPrime),
        last_prime: count.lastPrime === null ? null : String(count.lastPrime),
        elapsed_ms: Math.round(elapsedMs * 1000) / 1000,
        server: name,
      });
    } catch (err) {
      if (!(err instanceof CancelledError)) throw err;
      metrics.cancelled('sieve');
      if (state.isDraining) throw drained();
      req.log.debug('client gone during its count: stopped');
    } finally {
      res.off('close', hangUp);
      stopOnDrain();
      state.end();
    }
  });

  app
    .route('/metrics')
    .get(metricsHandler(metrics.registry))
    .all(methodNotAllowed(['GET']));

  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}

/** Counts on the calling thread: for tests of the HTTP edge, which count small ranges. */
function countOnEventLoop(): CountPrimes {
  const counter = new PrimeCounter();
  return async (from, to, signal) => {
    const count = counter.count(from, to, () => signal.aborted);
    if (!count) throw new CancelledError();
    return count;
  };
}
