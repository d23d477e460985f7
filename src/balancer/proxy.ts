import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError, toHttpError } from '../shared/error-handler.js';
import { HttpError } from '../shared/http-error.js';
import { logLevelFor } from '../shared/http-logger.js';
import type { AccessLogger, Logger } from '../shared/logger.js';
import { numberSegment, parseNumber } from '../shared/number.js';
import { REQUEST_ID_HEADER, requestIdFrom } from '../shared/request-id.js';
import { SECURITY_HEADERS_FLAT, applySecurityHeaders } from '../shared/security-headers.js';
import type { AdmissionQueue } from './admission.js';
import { Cancellation } from './cancellation.js';
import type { ForwardResult, UpstreamAnswer, Upstream } from './forward.js';
import type { BalancerMetrics } from './metrics.js';
import type { Registry, ServerEntry } from './registry.js';
import { errorForFailures, type UpstreamFailure } from './upstream-status.js';

export interface ProxyDeps {
  /** Writes the one line per request (see createAccessLogger). */
  accessLog: AccessLogger;
  registry: Registry;
  admission: AdmissionQueue;
  upstream: Upstream;
  metrics: BalancerMetrics;
  logger: Logger;
  maxDigits: number;
  /** Time for one try at a worker. */
  requestTimeoutMs: number;
  /** Time for the whole request, every try and every wait included. */
  requestDeadlineMs: number;
  /** Different workers one request may be tried on. */
  maxTries: number;
  /** Told to clients when no worker is active: roughly when the next health check runs. */
  retryAfterSeconds: number;
  /** A light request not answered in this long also goes to a second worker; 0: never. */
  hedgeAfterMs: number;
}

export const PRIME_PREFIX = '/is_prime';
/** From here on workers check on their thread pool (OpenSSL) instead of in microseconds. */
const HEAVY_FROM = 2n ** 64n;
export const SERVED_BY_HEADER = 'x-served-by';

/** Whether a request URL belongs to the /is_prime route (`/is_prime`, `/is_prime/…`, `/is_prime?…`). */
export function isPrimePath(url: string): boolean {
  if (!url.startsWith(PRIME_PREFIX)) return false;
  const next = url.charCodeAt(PRIME_PREFIX.length);
  return Number.isNaN(next) || next === 47 /* / */ || next === 63 /* ? */;
}

/**
 * `GET /is_prime/:n`: the hot path, on Node's bare request and response rather than Express,
 * whose routing and middleware cost several times the rest of the request (measured: see
 * BENCHMARKS.md). It keeps the app's behaviour: request id, security headers, JSON errors, one
 * log line per request in the same shape as pino-http's.
 *
 * The number is validated here (a bad one never reaches a worker, so it can never count
 * against one). Then it waits for a worker with a free slot and forwards. A failed try goes
 * to a worker not yet tried, up to `maxTries` and within the deadline, so a client sees an
 * error only when no healthy worker could answer in time. A worker's 4xx is an answer:
 * passed through, not held against the worker.
 */
export function createPrimeRoute(deps: ProxyDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { metrics, logger, maxDigits, accessLog } = deps;
  /** Workers whose health is being asked after a timeout (probe() never rejects). */
  const probing = new WeakSet<ServerEntry>();

  return (req, res) => {
    const started = performance.now();
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    const done = (server?: string) =>
      accessLog(logLevelFor(req.url, res.statusCode), {
        reqId: requestId,
        method: req.method ?? 'GET',
        url: req.url ?? '',
        status: res.statusCode,
        responseTime: Math.round(performance.now() - started),
        server,
      });

    const url = req.url ?? '';
    const segment = numberSegment(url.slice(PRIME_PREFIX.length));
    if (segment === undefined) {
      fail(res, requestId, new HttpError(404, 'not_found', `no route for ${req.method} ${url.split('?')[0]}`), done);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      fail(res, requestId, new HttpError(405, 'method_not_allowed', `${req.method} is not allowed here; use GET`, { Allow: 'GET' }), done);
      return;
    }
    let number: string;
    let heavy: boolean;
    try {
      const parsed = parseNumber(segment, maxDigits);
      number = parsed.text;
      heavy = parsed.value >= HEAVY_FROM;
    } catch (err) {
      metrics.request('none', 'rejected', (performance.now() - started) / 1000);
      fail(res, requestId, toHttpError(err), done);
      return;
    }
    route(deps, probing, res, `/is_prime/${number}`, heavy, requestId, started, done).catch((err: unknown) => {
      logger.error({ err, reqId: requestId }, 'request failed');
      if (!res.headersSent) fail(res, requestId, toHttpError(err), done);
    });
  };
}

async function route(
  deps: ProxyDeps,
  probing: WeakSet<ServerEntry>,
  res: ServerResponse,
  path: string,
  heavy: boolean,
  requestId: string,
  started: number,
  done: (server?: string) => void,
): Promise<void> {
  const { admission, metrics, logger } = deps;
  const deadline = started + deps.requestDeadlineMs;
  const tried = new Set<string>();
  const failures: UpstreamFailure[] = [];
  const seconds = () => (performance.now() - started) / 1000;

  // A client that hangs up cancels its place in the queue and its upstream request.
  const hangUp = new Cancellation();
  const onClose = () => {
    if (!res.writableFinished) hangUp.cancel();
  };
  res.once('close', onClose);

  try {
    let refusal: 'no_active_servers' | 'exhausted' | 'overloaded' | 'aborted' | undefined;
    while (tried.size < deps.maxTries && !hangUp.cancelled) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        failures.push({ kind: 'timeout', message: 'request deadline passed' });
        break;
      }
      // Usually a slot is free and the answer is immediate: skip the await's extra tick then.
      const admission$ = admission.acquire(tried, { cancellation: hangUp, maxWaitMs: remaining, heavy });
      const admitted = admission$ instanceof Promise ? await admission$ : admission$;
      if (!admitted.ok) {
        refusal = admitted.reason;
        break;
      }
      tried.add(admitted.server.address);
      const timeoutMs = Math.max(1, Math.min(deps.requestTimeoutMs, deadline - performance.now()));
      const answered = await tryServers(deps, admitted.server, { path, requestId, heavy, timeoutMs, hangUp, tried }, (server, failure, answeredElsewhere) => {
        metrics.retry(server.name, failure.kind);
        judge(deps, probing, server, failure);
        if (answeredElsewhere) {
          logger.warn({ reqId: requestId, server: server.name, kind: failure.kind, reason: failure.message }, 'hedged try failed after the request was answered');
          return;
        }
        failures.push(failure);
        logger.warn({ reqId: requestId, server: server.name, kind: failure.kind, reason: failure.message, tries: tried.size }, 'try failed');
      });
      if (answered) {
        const { server, answer } = answered;
        metrics.request(server.name, answer.status < 400 ? 'ok' : 'client_error', seconds());
        // One writeHead with every header, instead of a setHeader call (and check) for each.
        const headers = [
          ...SECURITY_HEADERS_FLAT,
          REQUEST_ID_HEADER,
          requestId,
          SERVED_BY_HEADER,
          server.name,
          'content-type',
          answer.contentType,
          'content-length',
          String(answer.body.length),
        ];
        if (answer.retryAfter !== undefined) headers.push('retry-after', answer.retryAfter);
        res.writeHead(answer.status, headers);
        res.end(answer.body);
        done(server.name);
        return;
      }
      if (hangUp.cancelled) refusal = 'aborted';
    }

    if (refusal === 'aborted' || hangUp.cancelled) {
      metrics.request('none', 'client_gone', seconds());
      logger.warn({ reqId: requestId, req: { method: 'GET', url: path } }, 'request aborted by the client');
      return;
    }
    const error = failureReply(deps, refusal, failures);
    metrics.request('none', error.code, seconds());
    fail(res, requestId, error, done);
  } finally {
    res.off('close', onClose);
  }
}

interface TryContext {
  path: string;
  requestId: string;
  heavy: boolean;
  timeoutMs: number;
  hangUp: Cancellation;
  /** Workers this request has been sent to; a hedge adds its own. */
  tried: Set<string>;
}

/**
 * Sends the request to `first`, which admission has already counted in. A light request not
 * answered within `hedgeAfterMs` also goes to another worker with a free slot (never waiting
 * for one): a light check takes microseconds, so a slow answer means its worker is stalled,
 * usually busy with heavy checks on every core. The first answer wins. The other try is not
 * cancelled but left to finish and dropped, so that its connection stays usable; its
 * failure, if any, is reported like any other. Resolves with the winner, or undefined when
 * every try failed (each reported through `onFailure`).
 */
function tryServers(
  deps: ProxyDeps,
  first: ServerEntry,
  { path, requestId, heavy, timeoutMs, hangUp, tried }: TryContext,
  onFailure: (server: ServerEntry, failure: UpstreamFailure, answeredElsewhere: boolean) => void,
): Promise<{ server: ServerEntry; answer: UpstreamAnswer } | undefined> {
  const { upstream, registry, admission, metrics, logger } = deps;
  return new Promise((resolve) => {
    const firstStarted = performance.now();
    let running = 0;
    let settled = false;
    let hedge: NodeJS.Timeout | undefined;
    const settle = (winner: { server: ServerEntry; answer: UpstreamAnswer } | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(hedge);
      resolve(winner);
    };
    const start = (server: ServerEntry, budgetMs: number): void => {
      running += 1;
      const started = performance.now();
      const finished = (result: ForwardResult): void => {
        running -= 1;
        try {
          if (result.ok) {
            // A losing answer is dropped: its time says nothing about the queue's wait.
            if (settled) return;
            const serviceMs = performance.now() - started;
            admission.recordServiceTime(serviceMs);
            registry.recordAnswer(server, result.status < 400, serviceMs);
            settle({ server, answer: result });
          } else if (result.kind !== 'aborted') {
            onFailure(server, result, settled);
          }
        } finally {
          // Whatever happened above, the slot is given back and the race can end.
          registry.end(server, heavy);
          if (running === 0) settle(undefined);
        }
      };
      upstream
        .forward(server.address, path, requestId, { timeoutMs: budgetMs, cancellation: hangUp })
        .then(finished, (err: unknown) => finished({ ok: false, kind: 'connection', message: String(err) }))
        .catch((err: unknown) => logger.error({ err, reqId: requestId }, 'try bookkeeping failed'));
    };
    if (!heavy && deps.hedgeAfterMs > 0) {
      hedge = setTimeout(() => {
        // Within the first try's budget, so that a hedge never outlives the request's deadline.
        const budgetMs = timeoutMs - (performance.now() - firstStarted);
        if (settled || hangUp.cancelled || tried.size >= deps.maxTries || budgetMs < 1) return;
        const admitted = admission.acquire(tried, { maxWaitMs: 0, hedge: true });
        if (admitted instanceof Promise || !admitted.ok) return;
        tried.add(admitted.server.address);
        metrics.hedge(admitted.server.name);
        start(admitted.server, budgetMs);
      }, deps.hedgeAfterMs);
    }
    start(first, timeoutMs);
  });
}

/**
 * Decides what a failed try says about the worker. Refused or reset: nobody is there, out at
 * once. Timeout: maybe just a long calculation, so its health check is asked (in the
 * background: the request has already moved on) and the worker is kept if it answers; one
 * probe per worker at a time, however many requests timed out there. Anything else counts
 * towards FAILURE_THRESHOLD.
 */
function judge(deps: ProxyDeps, probing: WeakSet<ServerEntry>, server: ServerEntry, failure: UpstreamFailure): void {
  const { registry, upstream } = deps;
  if (failure.kind === 'refused') {
    registry.recordFailure(server, failure.message, { immediate: true });
  } else if (failure.kind === 'timeout') {
    if (probing.has(server)) return;
    probing.add(server);
    void upstream.probe(server.address).then((probe) => {
      probing.delete(server);
      if (probe.ok) server.lastError = `${failure.message}; health check passed, kept in rotation`;
      else registry.recordFailure(server, `${failure.message}; ${probe.message}`, { immediate: true });
    });
  } else {
    registry.recordFailure(server, failure.message);
  }
}



function failureReply(
  deps: ProxyDeps,
  refusal: 'no_active_servers' | 'exhausted' | 'overloaded' | undefined,
  failures: readonly UpstreamFailure[],
): HttpError {
  if (refusal === 'overloaded' && failures.length === 0) {
    return new HttpError(503, 'overloaded', 'every server is busy and the waiting queue is full; try again later', {
      'Retry-After': String(deps.admission.retryAfterSeconds()),
    });
  }
  if (failures.length > 0) return errorForFailures(failures);
  return new HttpError(503, 'no_active_servers', 'no server is available right now', {
    'Retry-After': String(deps.retryAfterSeconds),
  });
}

function fail(res: ServerResponse, requestId: string, error: HttpError, done: () => void): void {
  res.setHeader(REQUEST_ID_HEADER, requestId);
  applySecurityHeaders(res);
  sendError(res, error);
  done();
}
