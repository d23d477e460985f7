import type { RequestListener } from 'node:http';
import express, { type Express } from 'express';
import { errorHandler, methodNotAllowed, notFound } from '../shared/error-handler.js';
import { metricsHandler } from '../shared/metrics-route.js';
import { createHttpLogger } from '../shared/http-logger.js';
import { HttpError } from '../shared/http-error.js';
import { securityHeaders } from '../shared/security-headers.js';
import { isPrimePath, nodePrimeRoute, type PrimeHandler, type ProxyDeps } from './proxy.js';
import { describeServer } from './registry.js';
import { statusPage } from './status-page.js';
import { parseRegistration, requireToken } from './registration.js';

export interface BalancerDeps extends ProxyDeps {
  registrationToken: string | undefined;
  /** Whether a host may register (ALLOWED_SERVER_HOSTS). */
  allowHost: (hostname: string) => boolean;
  /** The `/is_prime` handler (createPrimeHandler), shared with the fast lane. */
  prime: PrimeHandler;
}

/** Registration bodies are two short strings; anything bigger is not one. */
const BODY_LIMIT = '2kb';

/**
 * The balancer's request handler on Node's HTTP server: `/is_prime` goes straight to its own
 * route (the hot path), everything else to the Express app. Never listens (main.ts and tests
 * do, through createBalancerServer).
 */
export function createBalancerHandler(deps: BalancerDeps): RequestListener {
  const app = createBalancerApp(deps);
  const primeRoute = nodePrimeRoute(deps.prime);
  return (req, res) => {
    if (isPrimePath(req.url ?? '')) primeRoute(req, res);
    else app(req, res);
  };
}

/** The control API, status and metrics, as an Express app. */
export function createBalancerApp(deps: BalancerDeps): Express {
  const { registry, metrics, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(createHttpLogger(logger));
  app.use(securityHeaders);

  const json = express.json({ limit: BODY_LIMIT, strict: true });
  const auth = requireToken(deps.registrationToken);
  const parseAllowed = (body: unknown) => {
    const registration = parseRegistration(body);
    if (!deps.allowHost(registration.hostname)) {
      throw new HttpError(403, 'forbidden_host', 'this host is not allowed to register as a server');
    }
    return registration;
  };

  app
    .route('/server_up')
    .post(auth, json, (req, res) => {
      const { address, name, capacity } = parseAllowed(req.body);
      res.json({ server: describeServer(registry.register(address, name, capacity)) });
    })
    .all(methodNotAllowed(['POST']));

  app
    .route('/server_down')
    .post(auth, json, (req, res) => {
      const { address } = parseAllowed(req.body);
      res.json({ server: describeServer(registry.drain(address)) });
    })
    .all(methodNotAllowed(['POST']));

  app
    .route('/servers')
    .get((_req, res) => {
      res.json({ servers: registry.servers.map(describeServer) });
    })
    .all(methodNotAllowed(['GET']));

  app
    .route('/health_check')
    .get((_req, res) => {
      res.json({ status: 'ok', active_servers: registry.countActive(), servers: registry.servers.length });
    })
    .all(methodNotAllowed(['GET']));

  app
    .route('/metrics')
    .get(metricsHandler(metrics.registry))
    .all(methodNotAllowed(['GET']));

  app.use(statusPage(registry, deps.admission));

  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
