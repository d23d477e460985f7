import 'dotenv/config';
import { installCrashHandler } from '../shared/crash.js';
import { createHttpServer } from '../shared/http-server.js';
import { listenOrExit } from '../shared/listen.js';
import { loadConfigOrExit } from '../shared/env.js';
import { installShutdown } from '../shared/graceful-shutdown.js';
import { createLogger, logListening } from '../shared/logger.js';
import type { Announcer } from './announce.js';
import { advertisedUrlFor } from './advertised-url.js';
import { createAnnouncers } from './announcers.js';
import { createWorkerApp } from './app.js';
import { createCalculator } from './calculator.js';
import { createWorkerMetrics } from './metrics.js';
import { loadWorkerConfig } from './config.js';
import { isPrime, methodFor } from './primality.js';
import { WorkState } from './work-state.js';

const config = loadConfigOrExit('worker', loadWorkerConfig, process.env);
const { logger, close: closeLog } = createLogger(config.name, config.logLevel);
installCrashHandler({ logger, flush: closeLog });
const state = new WorkState();
// Small numbers take microseconds on the event loop; large ones and prime counts go to the
// calculator process.
const calculator = createCalculator({ threads: config.capacity, logger });
const app = createWorkerApp({
  name: config.name,
  maxDigits: config.maxDigits,
  logger,
  state,
  metrics: createWorkerMetrics(state),
  isPrime: (n) => (methodFor(n) === 'openssl' ? calculator.isPrime(n) : isPrime(n)),
  countPrimes: (from, to, signal) => calculator.countPrimes(from, to, signal),
  maxTaskSpan: config.maxTaskSpan,
  calculationSlots: config.capacity,
});
const http = createHttpServer(app);

let announcer: Announcer | undefined;

const exit = (code: number): void => void closeLog().finally(() => process.exit(code));

// Installed before listening, so that a SIGTERM during start-up also ends cleanly (exit 0).
installShutdown({
  logger,
  exit,
  timeoutMs: config.shutdownTimeoutMs,
  close: async () => {
    // Order matters: leave the rotation first, then refuse new work with 503 and stop the
    // running counts (app.ts), then stop accepting and let the running checks finish.
    // Refusing before the balancer knows would make its requests of that moment failed tries,
    // and mark this worker inactive ("answered 503") on its way out.
    announcer?.stop();
    await announcer?.deregister();
    state.startDraining();
    logger.info({ inFlight: state.inFlight }, 'draining');
    await http.close();
    await calculator.close();
  },
});

listenOrExit(http.server, { port: config.port, host: config.host, logger, exit }, (port) => {
  const advertisedUrl = advertisedUrlFor(config.advertisedUrl, port);
  logListening(logger, { port, host: config.host, advertisedUrl, balancers: config.balancerUrls });
  if (state.isDraining) return;
  announcer = createAnnouncers({
    balancerUrls: config.balancerUrls,
    advertisedUrl,
    name: config.name,
    capacity: config.capacity,
    registrationToken: config.registrationToken,
    logger,
    intervalMs: config.announceIntervalMs,
    retryMaxMs: config.announceRetryMaxMs,
  });
  announcer.start();
});
