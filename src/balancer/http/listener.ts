import type { RequestListener } from 'node:http';
import type { Express } from 'express';
import type { HttpLogger } from 'pino-http';
import { replyWithError } from '../../shared/error-handler.js';
import { applySecurityHeaders } from '../../shared/security-headers.js';
import { isPrimePath, type PrimeRoute } from '../routing/prime-route.js';

/**
 * The balancer's request listener on Node's HTTP server. `/is_prime` requests go straight to
 * their route on Node's request and response, with the same log line, request id, security
 * headers and error replies as the Express app gives every other request. Through Express's
 * router the same request costs about twice the balancer's CPU (measured: BENCHMARKS.md), and
 * `/is_prime` is nearly all of the traffic.
 */
export function createListener(app: Express, primeRoute: PrimeRoute, httpLogger: HttpLogger): RequestListener {
  return (req, res) => {
    if (req.url && req.url.charCodeAt(0) !== 47 /* / */) req.url = toOriginForm(req.url);
    if (!isPrimePath(req.url ?? '')) {
      app(req, res);
      return;
    }
    httpLogger(req, res);
    applySecurityHeaders(res);
    primeRoute(req, res).catch((err: unknown) => replyWithError(err, res, req.log));
  };
}

const SCHEME_AND_AUTHORITY = /^[a-z][a-z0-9+.-]*:\/\/[^/?]*/i;

/**
 * A request target in absolute form (`GET http://host/is_prime/7`, as proxies send it), which
 * RFC 9112 asks a server to accept, is routed by its path and query. Anything else (`*`) is
 * left for the app to answer.
 */
function toOriginForm(target: string): string {
  const authority = SCHEME_AND_AUTHORITY.exec(target);
  if (!authority) return target;
  const rest = target.slice(authority[0].length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}
