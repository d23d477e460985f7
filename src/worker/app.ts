import express, { type Express } from 'express';
import { errorHandler, methodNotAllowed, notFound } from '../shared/error-handler.js';
import { metricsHandler } from '../shared/metrics-route.js';
import { createHttpLogger } from '../shared/http-logger.js';
import { HttpError } from '../shared/http-error.js';
import { securityHeaders } from '../shared/security-headers.js';
import type { Logger } from '../shared/logger.js';
import { numberSegment, parseNumber } from '../shared/number.js';
import { CalculationQueue } from './calculation-queue.js';
import { createWorkerMetrics, type WorkerMetrics } from './metrics.js';
import { isPrime as defaultIsPrime, methodFor } from './primality.js';
import type { WorkState } from './work-state.js';

export interface WorkerDeps {
  name: string;
  maxDigits: number;
  logger: Logger;
  state: WorkState;
  isPrime?: (n: bigint) => Promise<boolean>;
  metrics?: WorkerMetrics;
  /** Large checks run at once (the calculator's threads); the rest wait their turn here. */
  calculationSlots?: number;
  now?: () => number;
}

export function createWorkerApp({
  name,
  maxDigits,
  logger,
  state,
  isPrime = defaultIsPrime,
  metrics = createWorkerMetrics(state, { defaults: false }),
  calculationSlots = 4,
  now = () => performance.now(),
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
    if (req.method !== 'GET' && req.method !== 'HEAD') methodNotAllowed(['GET'])(req, res, next);
    const { value, text } = parseNumber(segment, maxDigits);
    if (state.isDraining) {
      throw new HttpError(503, 'draining', 'this server is shutting down', { 'Retry-After': '1' });
    }
    state.begin();
    try {
      const started = now();
      const method = methodFor(value);
      const prime =
        method === 'openssl'
          ? await heavyQueue.run(() => isPrime(value), () => !req.socket.destroyed)
          : await isPrime(value);
      if (prime === undefined) {
        logger.debug({ reqId: req.id }, 'client gone before its calculation started: dropped');
        return;
      }
      const elapsedMs = now() - started;
      metrics.calculation(method, elapsedMs / 1000);
      const elapsed = Math.round(elapsedMs * 1000) / 1000;
      res.json({ number: text, is_prime: prime, server: name, elapsed_ms: elapsed });
    } finally {
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
