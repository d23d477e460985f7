import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoHttp, type HttpLogger } from 'pino-http';
import type { Logger } from './logger.js';
import { assignRequestId } from './request-id.js';

/**
 * One log line per request with its id, method, url, status and time. Health probes arrive
 * every few seconds from the balancer, so they are logged at debug to keep the stream about
 * real traffic; errors are logged at warn (4xx) and error (5xx). A proxy that sets
 * `res.locals.server` gets the name of the worker that answered on the line.
 */
export function createHttpLogger(logger: Logger): HttpLogger {
  return pinoHttp({
    logger,
    genReqId: assignRequestId,
    quietReqLogger: true,
    customLogLevel: (req, res, err) => (err ? 'error' : logLevelFor(req.url, res.statusCode)),
    serializers: {
      req: (req: IncomingMessage) => ({ method: req.method, url: req.url }),
      res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
    },
    customSuccessObject: (_req, res, value: Record<string, unknown>) => withServer(res, value),
    customErrorObject: (_req, res, _err, value: Record<string, unknown>) => withServer(res, value),
  });
}

/** The level of a request's log line; shared with the balancer's own /is_prime route. */
export function logLevelFor(url: string | undefined, status: number): 'error' | 'warn' | 'info' | 'debug' {
  if (status >= 500) return 'error';
  if (status >= 400) return 'warn';
  return url === '/health_check' ? 'debug' : 'info';
}

function withServer(res: ServerResponse & { locals?: { server?: unknown } }, value: Record<string, unknown>) {
  const server = res.locals?.server;
  return server === undefined ? value : { ...value, server };
}
