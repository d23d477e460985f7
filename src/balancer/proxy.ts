import type { IncomingMessage, ServerResponse } from 'node:http';
import { toHttpError } from '../shared/error-handler.js';
import { HttpError } from '../shared/http-error.js';
import { logLevelFor } from '../shared/http-logger.js';
import type { AccessLogger, Logger } from '../shared/logger.js';
import { isAtLeast2To64, numberSegment, parseNumberText } from '../shared/number.js';
import { REQUEST_ID_HEADER, requestIdFrom } from '../shared/request-id.js';
import { SECURITY_HEADERS_FLAT } from '../shared/security-headers.js';
import type { AdmissionQueue } from './admission.js';
import { Cancellation } from './cancellation.js';
import { HedgeBudget } from './hedge-budget.js';
import { HedgeDelay } from './hedge-delay.js';
import { HedgeTimers, type PendingHedge } from './hedge-timers.js';
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
  /** A light request not answered in this long also goes to a second worker; 0: never; `auto`: learned (hedge-delay.ts). */
  hedgeAfterMs: number | 'auto';
  /** Hedges at most as this share of light tries, in per cent (hedge-budget.ts). */
  hedgeBudgetPercent: number;
}

/** What the requests of one handler share. */
interface Shared {
  /** Workers whose health is being asked after a timeout (probe() never rejects). */
  probing: WeakSet<ServerEntry>;
  hedges: HedgeBudget;
  hedgeDelay: HedgeDelay;
  /** Light tries waiting for their hedge; polled on every request and every answer. */
  hedgeTimers: HedgeTimers;
}

export const PRIME_PREFIX = '/is_prime';
export const SERVED_BY_HEADER = 'x-served-by';

/** Whether a request URL belongs to the /is_prime route (`/is_prime`, `/is_prime/…`, `/is_prime?…`). */
export function isPrimePath(url: string): boolean {
  if (!url.startsWith(PRIME_PREFIX)) return false;
  const next = url.charCodeAt(PRIME_PREFIX.length);
  return Number.isNaN(next) || next === 47 /* / */ || next === 63 /* ? */;
}

/** A request for `/is_prime`, as the handler needs it, whichever server read it. */
export interface PrimeRequest {
  method: string;
  /** The request target as it came on the wire: `/is_prime/…`. */
  url: string;
  /** The client's `X-Request-Id`, if it sent one. */
  requestIdHeader: string | string[] | undefined;
}

/** Where the handler's answer goes: Node's ServerResponse, or the fast lane (fast-lane.ts). */
export interface PrimeReply {
  /** Cancelled by the server when the client goes away before the answer is sent. */
  readonly hangUp: Cancellation;
  /** Writes the whole answer, once; `headers` is a flat `[name, value, …]` list. */
  send(status: number, headers: string[], body: Buffer | string): void;
}

export type PrimeHandler = (request: PrimeRequest, reply: PrimeReply) => void;

/**
 * `GET /is_prime/:n`: the hot path. Express's routing and middleware cost several times the
 * rest of the request (measured: see BENCHMARKS.md), so this handler runs without them — on
 * Node's bare request and response (`nodePrimeRoute`), or, for requests of a simple form, on
 * the balancer's own connection handling (fast-lane.ts). It keeps the app's behaviour: request
 * id, security headers, JSON errors, one log line per request in the same shape as pino-http's.
 *
 * The number is validated here (a bad one never reaches a worker, so it can never count
 * against one). Then it waits for a worker with a free slot and forwards. A failed try goes
 * to a worker not yet tried, up to `maxTries` and within the deadline, so a client sees an
 * error only when no healthy worker could answer in time. A worker's 4xx is an answer:
 * passed through, not held against the worker.
 */
export function createPrimeHandler(deps: ProxyDeps): PrimeHandler {
  const { metrics, logger, maxDigits, accessLog } = deps;
  const shared: Shared = {
    probing: new WeakSet(),
    hedges: new HedgeBudget(deps.hedgeBudgetPercent),
    hedgeDelay: new HedgeDelay(deps.hedgeAfterMs),
    hedgeTimers: new HedgeTimers((err) => logger.error({ err }, 'sending a hedge failed')),
  };

  return (request, reply) => {
    const started = performance.now();
    shared.hedgeTimers.poll();
    const requestId = requestIdFrom(request.requestIdHeader);
    const { method, url } = request;
    let sent = false;
    const answer: Answer = (status, headers, body, server) => {
      reply.send(status, headers, body);
      sent = true;
      accessLog(logLevelFor(url, status), {
        reqId: requestId,
        method,
        url,
        status,
        responseTime: Math.round(performance.now() - started),
        server,
      });
    };
    const fail = (error: HttpError) => sendError(answer, requestId, error);

    const segment = numberSegment(url.slice(PRIME_PREFIX.length));
    if (segment === undefined) {
      fail(new HttpError(404, 'not_found', `no route for ${method} ${url.split('?')[0]}`));
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      fail(new HttpError(405, 'method_not_allowed', `${method} is not allowed here; use GET`, { Allow: 'GET' }));
      return;
    }
    let number: string;
    try {
      number = parseNumberText(segment, maxDigits);
    } catch (err) {
      metrics.request('none', 'rejected', (performance.now() - started) / 1000);
      fail(toHttpError(err));
      return;
    }
    // From 2^64 on, workers check on their calculator (OpenSSL) instead of in microseconds.
    const heavy = isAtLeast2To64(number);
    route(deps, shared, reply.hangUp, `/is_prime/${number}`, heavy, requestId, started, answer).catch((err: unknown) => {
      logger.error({ err, reqId: requestId }, 'request failed');
      if (!sent && !reply.hangUp.cancelled) fail(toHttpError(err));
    });
  };
}

/** The handler on Node's request and response: for requests the fast lane hands to Node. */
export function nodePrimeRoute(handler: PrimeHandler): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const hangUp = new Cancellation();
    res.once('close', () => {
      if (!res.writableFinished) hangUp.cancel();
    });
    handler(
      { method: req.method ?? 'GET', url: req.url ?? '', requestIdHeader: req.headers[REQUEST_ID_HEADER] },
      {
        hangUp,
        send(status, headers, body) {
          res.writeHead(status, headers);
          res.end(body);
        },
      },
    );
  };
}

/** Sends the answer and writes its log line; `server` is the worker that answered. */
type Answer = (status: number, headers: string[], body: Buffer | string, server?: string) => void;

async function route(
  deps: ProxyDeps,
  shared: Shared,
  hangUp: Cancellation,
  path: string,
  heavy: boolean,
  requestId: string,
  started: number,
  answer: Answer,
): Promise<void> {
  const { admission, metrics, logger } = deps;
  const deadline = started + deps.requestDeadlineMs;
  const tried = new Set<string>();
  const failures: UpstreamFailure[] = [];
  const seconds = () => (performance.now() - started) / 1000;

  let refusal: 'no_active_servers' | 'exhausted' | 'overloaded' | 'aborted' | undefined;
  while (tried.size < deps.maxTries && !hangUp.cancelled) {
    const remaining = deadline - performance.now();
    if (remaining <= 0) {
      failures.push({ kind: 'timeout', message: 'request deadline passed' });
      break;
    }
    // A client that hangs up (hangUp) cancels its place in the queue and its upstream request.
    // Usually a slot is free and the answer is immediate: skip the await's extra tick then.
    const admission$ = admission.acquire(tried, { cancellation: hangUp, maxWaitMs: remaining, heavy });
    const admitted = admission$ instanceof Promise ? await admission$ : admission$;
    if (!admitted.ok) {
      refusal = admitted.reason;
      break;
    }
    tried.add(admitted.server.address);
    const timeoutMs = Math.max(1, Math.min(deps.requestTimeoutMs, deadline - performance.now()));
    const answered = await tryServers(deps, shared, admitted.server, { path, requestId, heavy, timeoutMs, hangUp, tried }, (server, failure, answeredElsewhere) => {
      metrics.retry(server.name, failure.kind);
      judge(deps, shared.probing, server, failure);
      if (answeredElsewhere) {
        logger.warn({ reqId: requestId, server: server.name, kind: failure.kind, reason: failure.message }, 'hedged try failed after the request was answered');
        return;
      }
      failures.push(failure);
      logger.warn({ reqId: requestId, server: server.name, kind: failure.kind, reason: failure.message, tries: tried.size }, 'try failed');
    });
    if (answered) {
      const { server, answer: reply } = answered;
      metrics.request(server.name, reply.status < 400 ? 'ok' : 'client_error', seconds());
      const headers = [
        ...SECURITY_HEADERS_FLAT,
        REQUEST_ID_HEADER,
        requestId,
        SERVED_BY_HEADER,
        server.name,
        'content-type',
        reply.contentType,
        'content-length',
        String(reply.body.length),
      ];
      if (reply.retryAfter !== undefined) headers.push('retry-after', reply.retryAfter);
      answer(reply.status, headers, reply.body, server.name);
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
  sendError(answer, requestId, error);
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
 * answered within the hedge delay (hedge-delay.ts) also goes to another worker with a free
 * slot (never waiting for one): a light check takes microseconds, so a slow answer means its
 * worker is stalled, usually busy with heavy checks on every core. The first answer wins. The
 * other try is not cancelled but left to finish and dropped, so that its connection stays
 * usable; its failure, if any, is reported like any other. Resolves with the winner, or
 * undefined when every try failed (each reported through `onFailure`).
 */
function tryServers(
  deps: ProxyDeps,
  { hedges, hedgeDelay, hedgeTimers }: Shared,
  first: ServerEntry,
  { path, requestId, heavy, timeoutMs, hangUp, tried }: TryContext,
  onFailure: (server: ServerEntry, failure: UpstreamFailure, answeredElsewhere: boolean) => void,
): Promise<{ server: ServerEntry; answer: UpstreamAnswer } | undefined> {
  const { upstream, registry, admission, metrics, logger } = deps;
  return new Promise((resolve) => {
    const firstStarted = performance.now();
    let running = 0;
    let settled = false;
    let hedge: PendingHedge | undefined;
    const settle = (winner: { server: ServerEntry; answer: UpstreamAnswer } | undefined): void => {
      if (settled) return;
      settled = true;
      if (hedge) hedgeTimers.cancel(hedge);
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
            if (!heavy) hedgeDelay.record(serviceMs);
            settle({ server, answer: result });
          } else if (result.kind !== 'aborted') {
            onFailure(server, result, settled);
          }
        } finally {
          // Whatever happened above, the slot is given back and the race can end.
          registry.end(server, heavy);
          if (running === 0) settle(undefined);
          hedgeTimers.poll();
        }
      };
      upstream
        .forward(server.address, path, requestId, { timeoutMs: budgetMs, cancellation: hangUp })
        .then(finished, (err: unknown) => finished({ ok: false, kind: 'connection', message: String(err) }))
        .catch((err: unknown) => logger.error({ err, reqId: requestId }, 'try bookkeeping failed'));
    };
    const hedgeAfterMs = heavy ? undefined : hedgeDelay.ms;
    if (hedgeAfterMs !== undefined) {
      hedges.earn();
      hedge = hedgeTimers.schedule(hedgeAfterMs, () => {
        // Within the first try's budget, so that a hedge never outlives the request's deadline.
        const budgetMs = timeoutMs - (performance.now() - firstStarted);
        if (settled || hangUp.cancelled || tried.size >= deps.maxTries || budgetMs < 1 || !hedges.available) return;
        const admitted = admission.acquire(tried, { maxWaitMs: 0, hedge: true });
        if (admitted instanceof Promise || !admitted.ok) return;
        hedges.spend();
        tried.add(admitted.server.address);
        metrics.hedge(admitted.server.name);
        start(admitted.server, budgetMs);
      });
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

/** An HttpError as the JSON reply, with the headers every reply of ours has. */
function sendError(answer: Answer, requestId: string, error: HttpError): void {
  const body = JSON.stringify(error.toBody());
  answer(error.status, [
    ...SECURITY_HEADERS_FLAT,
    REQUEST_ID_HEADER,
    requestId,
    ...Object.entries(error.headers).flat(),
    'content-type',
    'application/json; charset=utf-8',
    'content-length',
    String(Buffer.byteLength(body)),
  ], body);
}
