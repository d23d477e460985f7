import express, { type Express, type RequestHandler } from 'express';
import { errorHandler, methodNotAllowed, notFound } from '../../shared/error-handler.js';
import { createHttpLogger } from '../../shared/http-logger.js';
import type { Logger } from '../../shared/logger.js';
import { metricsHandler } from '../../shared/metrics-route.js';
import { securityHeaders } from '../../shared/security-headers.js';
import type { AdmissionQueue } from '../routing/admission.js';
import type { Registry } from '../workers/registry.js';
import { controlRoutes, type ControlDeps } from './control-routes.js';
import type { BalancerMetrics } from './metrics.js';
import { statusPage } from './status-page.js';

export interface AppDeps extends ControlDeps {
  registry: Registry;
  admission: AdmissionQueue;
  metrics: BalancerMetrics;
  logger: Logger;
  /** `GET /is_prime/:n` (routing/prime-route.ts). */
  primeRoute: RequestHandler;
}

/**
 * The balancer's HTTP edge, as an Express app: `/is_prime`, the control routes, the status
 * page and `/metrics`, one log line per request, and one error handler for every error reply.
 * Never listens: main.ts (and the tests) do.
 */
export function createApp(deps: AppDeps): Express {
  const { registry, metrics, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(createHttpLogger(logger));
  app.use(securityHeaders);

  app.use('/is_prime', deps.primeRoute);
  app.use(controlRoutes(deps));
  app
    .route('/metrics')
    .get(metricsHandler(metrics.registry))
    .all(methodNotAllowed(['GET']));
  app.use(statusPage(registry, deps.admission));

  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
