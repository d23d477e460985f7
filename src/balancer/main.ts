import 'dotenv/config';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer } from '../shared/close-server.js';
import { ConfigError } from '../shared/env.js';
import { installShutdown } from '../shared/graceful-shutdown.js';
import { createLogger, logListening } from '../shared/logger.js';
import { createBalancerApp } from './app.js';
import { loadBalancerConfig, type BalancerConfig } from './config.js';
import { createUpstream } from './forward.js';
import { createHealthChecker } from './health-checker.js';
import { createMetrics } from './metrics.js';
import { Registry } from './registry.js';
import { createRoundRobin } from './round-robin.js';

function loadConfigOrExit(): BalancerConfig {
  try {
    return loadBalancerConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`balancer: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
}

const config = loadConfigOrExit();
const logger = createLogger('balancer', config.logLevel);

const registry = new Registry({
  maxServers: config.maxServers,
  onTransition: ({ server, from, to, reason }) =>
    logger.info({ server: server.name, address: server.address, from, to, reason }, `server ${server.name} is ${to}`),
});
const upstream = createUpstream({
  requestTimeoutMs: config.requestTimeoutMs,
  probeTimeoutMs: config.healthCheckTimeoutMs,
});
const metrics = createMetrics(registry);
const healthChecker = createHealthChecker({
  registry,
  probe: (address) => upstream.probe(address),
  logger,
  intervalMs: config.healthCheckIntervalMs,
  idleAfterMs: config.idleCheckAfterMs,
  onResult: (server, result) => metrics.healthCheck(server.name, result.ok),
});
const app = createBalancerApp({
  registry,
  select: createRoundRobin(),
  upstream,
  metrics,
  logger,
  maxDigits: config.maxDigits,
  registrationToken: config.registrationToken,
  retryAfterSeconds: Math.max(1, Math.ceil(config.healthCheckIntervalMs / 1000)),
});

const server = createServer(app);
server.listen(config.port, config.host, () => {
  const { port } = server.address() as AddressInfo;
  logListening(logger, { port, host: config.host, auth: config.registrationToken !== undefined });
  healthChecker.start();
});

installShutdown({
  logger,
  timeoutMs: config.shutdownTimeoutMs,
  close: async () => {
    healthChecker.stop();
    await closeServer(server);
    await upstream.close();
  },
});
