import type { Request, RequestHandler, Response } from 'express';
import { methodNotAllowed } from '../shared/error-handler.js';
import { HttpError } from '../shared/http-error.js';
import { numberSegment, parseNumber } from '../shared/number.js';
import type { AdmissionQueue } from './admission.js';
import type { Upstream } from './forward.js';
import type { BalancerMetrics } from './metrics.js';
import type { Registry, ServerEntry } from './registry.js';
import { errorForFailures, type UpstreamFailure } from './upstream-status.js';

export interface ProxyDeps {
  registry: Registry;
  admission: AdmissionQueue;
  upstream: Upstream;
  metrics: BalancerMetrics;
  maxDigits: number;
  /** Time for one try at a worker. */
  requestTimeoutMs: number;
  /** Time for the whole request, every try and every wait included. */
  requestDeadlineMs: number;
  /** Different workers one request may be tried on. */
  maxTries: number;
  /** Told to clients when no worker is active: roughly when the next health check runs. */
  retryAfterSeconds: number;
}

export const SERVED_BY_HEADER = 'x-served-by';

/**
 * `GET /is_prime/:n`, mounted at `/is_prime`. Validates the number here (a bad one never
 * reaches a worker, so it can never count against one), waits for a worker with a free slot,
 * and forwards. A failed try goes to a worker not yet tried, up to `maxTries` and within the
 * deadline, so a client sees an error only when no healthy worker could answer in time. A
 * worker's 4xx is an answer: passed through, not held against the worker.
 */
export function createPrimeHandler(deps: ProxyDeps): RequestHandler {
  const { metrics, maxDigits } = deps;

  return async (req, res, next) => {
    const segment = numberSegment(req.url);
    if (segment === undefined) {
      next();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      methodNotAllowed(['GET'])(req, res, next);
      return;
    }
    const started = performance.now();
    let number: string;
    try {
      number = parseNumber(segment, maxDigits).text;
    } catch (err) {
      metrics.request('none', 'rejected', (performance.now() - started) / 1000);
      throw err;
    }
    await route(deps, req, res, `/is_prime/${number}`, started);
  };
}

async function route(deps: ProxyDeps, req: Request, res: Response, path: string, started: number): Promise<void> {
  const { registry, admission, upstream, metrics } = deps;
  const deadline = started + deps.requestDeadlineMs;
  const requestId = String(req.id);
  const tried = new Set<string>();
  const failures: UpstreamFailure[] = [];
  const seconds = () => (performance.now() - started) / 1000;

  // A client that hangs up cancels its place in the queue and its upstream request.
  const hangUp = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) hangUp.abort();
  };
  res.once('close', onClose);

  try {
    let refusal: 'no_active_servers' | 'exhausted' | 'overloaded' | 'aborted' | undefined;
    while (tried.size < deps.maxTries) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        failures.push({ kind: 'timeout', message: 'request deadline passed' });
        break;
      }
      const admitted = await admission.acquire(tried, hangUp.signal, remaining);
      if (!admitted.ok) {
        refusal = admitted.reason;
        break;
      }
      const server = admitted.server;
      tried.add(server.address);
      const tryStarted = performance.now();
      const timeoutMs = Math.max(1, Math.min(deps.requestTimeoutMs, deadline - tryStarted));
      const result = await upstream
        .forward(server.address, path, requestId, { timeoutMs, signal: hangUp.signal })
        .finally(() => registry.end(server));
      if (result.ok) {
        admission.recordServiceTime(performance.now() - tryStarted);
        registry.recordAnswer(server, result.status < 400);
        metrics.request(server.name, result.status < 400 ? 'ok' : 'client_error', seconds());
        send(res, server.name, result.status, result.contentType, result.retryAfter, result.body);
        return;
      }
      if (result.kind === 'aborted' || hangUp.signal.aborted) {
        refusal = 'aborted';
        break;
      }
      failures.push(result);
      metrics.retry(server.name, result.kind);
      await judge(deps, server, result);
      req.log.warn({ server: server.name, kind: result.kind, reason: result.message, tries: tried.size }, 'try failed');
    }

    if (refusal === 'aborted' || hangUp.signal.aborted) {
      metrics.request('none', 'client_gone', seconds());
      return;
    }
    throw failureReply(deps, refusal, failures, metrics, seconds());
  } finally {
    res.off('close', onClose);
  }
}

/**
 * Decides what a failed try says about the worker. Refused or reset: nobody is there, out at
 * once. Timeout: maybe just a long calculation, so ask its health check right away and keep
 * it if it answers. Anything else counts towards FAILURE_THRESHOLD.
 */
async function judge(deps: ProxyDeps, server: ServerEntry, failure: UpstreamFailure): Promise<void> {
  const { registry, upstream } = deps;
  if (failure.kind === 'refused') {
    registry.recordFailure(server, failure.message, { immediate: true });
  } else if (failure.kind === 'timeout') {
    const probe = await upstream.probe(server.address);
    if (probe.ok) {
      server.lastError = `${failure.message}; health check passed, kept in rotation`;
    } else {
      registry.recordFailure(server, `${failure.message}; ${probe.message}`, { immediate: true });
    }
  } else {
    registry.recordFailure(server, failure.message);
  }
}

function failureReply(
  deps: ProxyDeps,
  refusal: 'no_active_servers' | 'exhausted' | 'overloaded' | undefined,
  failures: readonly UpstreamFailure[],
  metrics: BalancerMetrics,
  seconds: number,
): HttpError {
  let error: HttpError;
  if (failures.length > 0 && refusal !== 'overloaded') {
    error = errorForFailures(failures);
  } else if (refusal === 'overloaded') {
    error = new HttpError(503, 'overloaded', 'every server is busy and the waiting queue is full; try again later', {
      'Retry-After': String(deps.admission.retryAfterSeconds()),
    });
  } else {
    error = new HttpError(503, 'no_active_servers', 'no server is available right now', {
      'Retry-After': String(deps.retryAfterSeconds),
    });
  }
  metrics.request('none', error.code, seconds);
  return error;
}

function send(
  res: Response,
  server: string,
  status: number,
  contentType: string,
  retryAfter: string | undefined,
  body: Buffer,
): void {
  res.status(status);
  res.setHeader('content-type', contentType);
  res.setHeader(SERVED_BY_HEADER, server);
  res.locals.server = server;
  if (retryAfter !== undefined) res.setHeader('retry-after', retryAfter);
  res.end(body);
}
