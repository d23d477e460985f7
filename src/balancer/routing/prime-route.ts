import type { IncomingMessage, ServerResponse } from 'node:http';
import { notAllowed, routeNotFound } from '../../shared/error-handler.js';
import { HttpError } from '../../shared/http-error.js';
import { isAtLeast2To64, numberSegment, parseNumberText } from '../../shared/number.js';
import { forwardWithRetries, type TriesDeps } from './tries.js';

export interface PrimeRouteDeps extends TriesDeps {
  maxDigits: number;
}

const SERVED_BY_HEADER = 'X-Served-By';
const PRIME_PREFIX = '/is_prime';

/** Whether a request URL belongs to this route: `/is_prime`, `/is_prime/…` or `/is_prime?…`. */
export function isPrimePath(url: string): boolean {
  if (!url.startsWith(PRIME_PREFIX)) return false;
  const next = url.charCodeAt(PRIME_PREFIX.length);
  return Number.isNaN(next) || next === 47 /* / */ || next === 63 /* ? */;
}

/** The route on Node's request and response; rejects with an HttpError for the error reply. */
export type PrimeRoute = (req: IncomingMessage & { id: unknown }, res: ServerResponse) => Promise<void>;

/**
 * `GET /is_prime/:n`, for every URL `isPrimePath` accepts. The number is read from the raw
 * URL: `/is_prime`, `/is_prime/` and `/is_prime/%zz` are bad numbers (400), `/is_prime/1/2`
 * an unknown path (404). It is validated here, so a bad one never reaches a worker and never
 * counts against one. Then a worker answers it (tries.ts) and its reply is passed on with
 * `X-Served-By`; a worker's 4xx is an answer too, passed on and not held against it.
 */
export function createPrimeRoute(deps: PrimeRouteDeps): PrimeRoute {
  const { metrics, maxDigits } = deps;
  return async (req, res) => {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    const url = req.url ?? '';
    const segment = numberSegment(url.slice(PRIME_PREFIX.length));
    if (segment === undefined) throw routeNotFound(req.method, url.split('?')[0]!);
    if (req.method !== 'GET' && req.method !== 'HEAD') throw notAllowed(req.method, ['GET']);
    let number: string;
    try {
      number = parseNumberText(segment, maxDigits);
    } catch (err) {
      metrics.request('none', 'rejected', seconds());
      throw err;
    }

    const hangUp = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) hangUp.abort();
    });
    const outcome = await forwardWithRetries(deps, {
      path: `/is_prime/${number}`,
      requestId: String(req.id),
      // From 2^64 on, workers check on their calculator (OpenSSL) instead of in microseconds.
      heavy: isAtLeast2To64(number),
      started,
      signal: hangUp.signal,
      log: req.log,
    });

    if (outcome === 'client_gone') {
      metrics.request('none', 'client_gone', seconds());
      req.log.warn('request aborted by the client');
      return;
    }
    if (outcome instanceof HttpError) {
      metrics.request('none', outcome.code, seconds());
      throw outcome;
    }
    const { server, response } = outcome;
    metrics.request(server.name, response.status < 400 ? 'ok' : 'client_error', seconds());
    res.statusCode = response.status;
    res.setHeader(SERVED_BY_HEADER, server.name);
    res.setHeader('Content-Type', response.contentType ?? 'application/json; charset=utf-8');
    if (response.retryAfter !== undefined) res.setHeader('Retry-After', response.retryAfter);
    res.end(response.body);
  };
}
