import express, { type Express } from 'express';
import { errorHandler, methodNotAllowed, notFound } from '../shared/error-handler.js';
import { createHttpLogger } from '../shared/http-logger.js';
import type { Logger } from '../shared/logger.js';
import type { Upstream } from './forward.js';
import type { BalancerMetrics } from './metrics.js';
import { createPrimeHandler } from './proxy.js';
import { describeServer, type Registry } from './registry.js';
import { parseRegistration, requireToken } from './registration.js';
import type { Selector } from './round-robin.js';

export interface BalancerDeps {
  registry: Registry;
  select: Selector;
  upstream: Upstream;
  metrics: BalancerMetrics;
  logger: Logger;
  maxDigits: number;
  registrationToken: string | undefined;
  retryAfterSeconds: number;
}

/** Registration bodies are two short strings; anything bigger is not one. */
const BODY_LIMIT = '2kb';

/** Builds the balancer's Express app; never listens (main.ts and tests do). */
export function createBalancerApp(deps: BalancerDeps): Express {
  const { registry, metrics, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(createHttpLogger(logger));

  app.use('/is_prime', createPrimeHandler(deps));

  const json = express.json({ limit: BODY_LIMIT, strict: true });
  const auth = requireToken(deps.registrationToken);

  app
    .route('/server_up')
    .post(auth, json, (req, res) => {
      const { address, name } = parseRegistration(req.body);
      res.json({ server: describeServer(registry.register(address, name)) });
    })
    .all(methodNotAllowed(['POST']));

  app
    .route('/server_down')
    .post(auth, json, (req, res) => {
      const { address } = parseRegistration(req.body);
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
    .get(async (_req, res) => {
      res.setHeader('content-type', metrics.registry.contentType);
      res.end(await metrics.registry.metrics());
    })
    .all(methodNotAllowed(['GET']));

  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
