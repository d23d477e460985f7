import 'dotenv/config';
import type { AddressInfo } from 'node:net';
import { closeServer } from '../shared/close-server.js';
import { loadConfigOrExit } from '../shared/env.js';
import { installShutdown } from '../shared/graceful-shutdown.js';
import { createAccessLogger, createLogger, logListening } from '../shared/logger.js';
import { buildBalancer, createBalancerServer } from './balancer.js';
import { loadBalancerConfig } from './config.js';

const config = loadConfigOrExit('balancer', loadBalancerConfig, process.env);
const root = createLogger('balancer', config.logLevel);
const { logger, close: closeLog } = root;
const balancer = buildBalancer(config, logger, { accessLog: createAccessLogger(root, 'balancer') });
const { healthChecker, upstream } = balancer;

const server = createBalancerServer(balancer);
server.listen(config.port, config.host, () => {
  const { port } = server.address() as AddressInfo;
  logListening(logger, { port, host: config.host, auth: config.registrationToken !== undefined });
  if (config.registrationToken === undefined && config.allowedServerHosts.length === 0) {
    logger.warn('registration is open: every host that reaches this port can add or drain workers; set REGISTRATION_TOKEN or ALLOWED_SERVER_HOSTS');
  }
  healthChecker.start();
});

installShutdown({
  logger,
  exit: (code) => void closeLog().finally(() => process.exit(code)),
  timeoutMs: config.shutdownTimeoutMs,
  close: async () => {
    healthChecker.stop();
    await closeServer(server);
    await upstream.close();
  },
});
