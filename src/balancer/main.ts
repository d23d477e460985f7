import 'dotenv/config';
import { installCrashHandler } from '../shared/crash.js';
import { loadConfigOrExit } from '../shared/env.js';
import { installShutdown } from '../shared/graceful-shutdown.js';
import { createHttpServer } from '../shared/http-server.js';
import { listenOrExit } from '../shared/listen.js';
import { createLogger, logListening } from '../shared/logger.js';
import { buildBalancer } from './build.js';
import { loadBalancerConfig } from './config.js';

const config = loadConfigOrExit('balancer', loadBalancerConfig, process.env);
const { logger, close: closeLog } = createLogger('balancer', config.logLevel);
installCrashHandler({ logger, flush: closeLog });
const { listener, healthChecker, upstream, jobs } = await buildBalancer(config, logger);
const http = createHttpServer(listener);

const exit = (code: number): void => void closeLog().finally(() => process.exit(code));

listenOrExit(http.server, { port: config.port, host: config.host, logger, exit }, (port) => {
  logListening(logger, { port, host: config.host, auth: config.registrationToken !== undefined });
  if (config.registrationToken === undefined && config.allowedServerHosts.length === 0) {
    logger.warn('registration is open: every host that reaches this port can add or drain workers; set REGISTRATION_TOKEN or ALLOWED_SERVER_HOSTS');
  }
  healthChecker.start();
  jobs.start();
});

installShutdown({
  logger,
  exit,
  timeoutMs: config.shutdownTimeoutMs,
  close: async () => {
    healthChecker.stop();
    // Jobs first: their tasks are cancelled and clients waiting on a job are answered, so that
    // the server can close; running jobs resume from the journal at the next start.
    await jobs.close();
    await http.close();
    await upstream.close();
  },
});
