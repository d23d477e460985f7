import express, { type Express } from 'express';
import type { HttpLogger } from 'pino-http';
import { errorHandler, methodNotAllowed, notFound } from '../../shared/error-handler.js';
import type { Logger } from '../../shared/logger.js';
import { metricsHandler } from '../../shared/metrics-route.js';
import { securityHeaders } from '../../shared/security-headers.js';
import type { JobManager } from '../jobs/job-manager.js';
import type { AdmissionQueue } from '../routing/admission.js';
import type { Registry } from '../workers/registry.js';
import { controlRoutes, type ControlDeps } from './control-routes.js';
import { jobRoutes } from './job-routes.js';
import type { BalancerMetrics } from './metrics.js';
import type { StatusHistory } from './status-history.js';
import { statusPage } from './status-page.js';

export interface AppDeps extends ControlDeps {
  registry: Registry;
  admission: AdmissionQueue;
  jobs: JobManager;
  metrics: BalancerMetrics;
  /** Each server's recent answers and state changes, for the status page. */
  history: StatusHistory;
  logger: Logger;
  /** One log line per request (shared/http-logger.ts), shared with the `/is_prime` route. */
  httpLogger: HttpLogger;
}

/**
 * The balancer's HTTP edge but `/is_prime` (listener.ts), as an Express app: the control
 * routes, jobs, the status page and `/metrics`, one log line per request, and the error handler.
 * Never listens: main.ts (and the tests) do.
 */
export function createApp(deps: AppDeps): Express {
  const { registry, metrics, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(deps.httpLogger);
  app.use(securityHeaders);

  app.use(controlRoutes(deps));
  app.use(jobRoutes(deps.jobs));
  app
    .route('/metrics')
    .get(metricsHandler(metrics.registry))
    .all(methodNotAllowed(['GET']));
  app.use(statusPage(registry, deps.admission, deps.history));

  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
