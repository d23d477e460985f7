import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoHttp, type HttpLogger } from 'pino-http';
import type { Logger } from './logger.js';
import { assignRequestId } from './request-id.js';

const SERVED_BY = 'x-served-by';
const MAX_LOGGED_URL = 512;

/**
 * One log line per request with its id, method, url, status and time, and the worker that
 * answered when a balancer passed one's answer on (`server`). Health probes arrive every few
 * seconds from the balancer, and every worker announces itself to the balancer every few
 * seconds: both are logged at debug to keep the stream about real traffic (a worker that joins,
 * comes back or changes status has its own line from the registry). Errors are logged at warn
 * (4xx, 503) and error (other 5xx). Other lines about a request go through its `req.log`, so they carry
 * the same `req` (id, method, url).
 *
 * The id is inside `req`, pino-http's own layout: a top-level `reqId` (its `quietReqLogger`)
 * costs a second child logger per request, measured at about 20 µs of the balancer's CPU on
 * a light request, a seventh of it.
 */
export function createHttpLogger(logger: Logger): HttpLogger {
  return pinoHttp({
    logger,
    genReqId: assignRequestId,
    // Our serializers read the request and response themselves: pino-http's wrappers would build
    // the full standard objects (every header copied) on each line first, for nothing.
    wrapSerializers: false,
    customLogLevel: (req, res, err) => (err ? 'error' : logLevelFor(req.url, res.statusCode)),
    customSuccessObject: (_req, res, line: Record<string, unknown>) => completedLine(res, line),
    // A 5xx is an answer like any other here, logged as one: pino-http would add an Error of its
    // own making (a stack trace of its internals) and call it "request errored". A bug behind a
    // 500 has its own line with the real error (error-handler.ts).
    customErrorMessage: () => 'request completed',
    customErrorObject: (_req, res, _err, { err: _madeUp, ...line }: Record<string, unknown>) => completedLine(res, line),
    serializers: {
      // Express rewrites req.url below a mount point; originalUrl is what the client asked for.
      req: (req: IncomingMessage & { originalUrl?: string }) => ({ id: req.id, method: req.method, url: shortened(req.originalUrl ?? req.url) }),
      // A client that hung up before the answer got none: not Node's default 200.
      res: (res: ServerResponse) => ({ statusCode: res.headersSent ? res.statusCode : null }),
    },
  });
}

/**
 * A URL for a log line: cut after MAX_LOGGED_URL characters, with its length. A number of
 * thousands of digits (or a request refused for having too many) would otherwise be copied
 * whole into every line about its request; the request id finds it.
 */
function shortened(url: string | undefined): string | undefined {
  if (url === undefined || url.length <= MAX_LOGGED_URL) return url;
  return `${url.slice(0, MAX_LOGGED_URL)}… (${url.length} characters)`;
}

function completedLine(res: ServerResponse, line: Record<string, unknown>): Record<string, unknown> {
  const server = res.getHeader(SERVED_BY);
  return server === undefined ? line : { ...line, server };
}

/**
 * The level of a request's log line. A 503 is a refusal by design, with a Retry-After (a
 * draining worker, a full queue, a balancer with no worker): warn, as a 4xx. Other 5xx are
 * failures: error.
 */
function logLevelFor(url: string | undefined, status: number): 'error' | 'warn' | 'info' | 'debug' {
  if (status >= 500 && status !== 503) return 'error';
  if (status >= 400) return 'warn';
  return url === '/health_check' || url === '/server_up' ? 'debug' : 'info';
}
