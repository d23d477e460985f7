import type { Request, RequestHandler, Response } from 'express';
import { methodNotAllowed } from '../shared/error-handler.js';
import { HttpError } from '../shared/http-error.js';
import { numberSegment, parseNumber } from '../shared/number.js';
import type { Upstream } from './forward.js';
import type { BalancerMetrics } from './metrics.js';
import type { Registry } from './registry.js';
import type { Selector } from './round-robin.js';
import { errorForFailures, type UpstreamFailure } from './upstream-status.js';

export interface ProxyDeps {
  registry: Registry;
  select: Selector;
  upstream: Upstream;
  metrics: BalancerMetrics;
  maxDigits: number;
  /** Told to clients when no worker is active: roughly when the next health check runs. */
  retryAfterSeconds: number;
}

export const SERVED_BY_HEADER = 'x-served-by';

/**
 * `GET /is_prime/:n`, mounted at `/is_prime`. Validates the number here (a bad one never
 * reaches a worker, so it can never count against one), then tries the active workers in
 * selection order: a connection error, timeout or 5xx takes that worker out of rotation and
 * the same request goes to the next one, so a client sees an error only when every worker
 * failed. A worker's 4xx is an answer: passed through, not held against the worker.
 */
export function createPrimeHandler({ registry, select, upstream, metrics, maxDigits, retryAfterSeconds }: ProxyDeps): RequestHandler {
  const noActiveServers = new HttpError(503, 'no_active_servers', 'no server is available right now', {
    'Retry-After': String(retryAfterSeconds),
  });

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
    const seconds = () => (performance.now() - started) / 1000;
    let number: string;
    try {
      number = parseNumber(segment, maxDigits).text;
    } catch (err) {
      metrics.request('none', 'rejected', seconds());
      throw err;
    }

    const path = `/is_prime/${number}`;
    const requestId = String(req.id);
    const tried = new Set<string>();
    const failures: UpstreamFailure[] = [];

    for (let server = select(registry.servers, tried); server; server = select(registry.servers, tried)) {
      tried.add(server.address);
      registry.begin(server);
      const result = await upstream.forward(server.address, path, requestId).finally(() => registry.end(server));
      if (result.ok) {
        registry.recordAnswer(server, result.status < 400);
        metrics.request(server.name, result.status < 400 ? 'ok' : 'client_error', seconds());
        send(res, server.name, result.status, result.contentType, result.retryAfter, result.body);
        return;
      }
      failures.push(result);
      metrics.retry(server.name, result.kind);
      registry.markFailed(server, result.message);
      req.log.warn({ server: server.name, kind: result.kind, reason: result.message }, 'try failed; trying another server');
      if (clientGone(req)) return;
    }

    const error = failures.length === 0 ? noActiveServers : errorForFailures(failures);
    metrics.request('none', error.code, seconds());
    throw error;
  };
}

function clientGone(req: Request): boolean {
  return req.socket.destroyed;
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
