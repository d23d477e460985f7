import 'dotenv/config';
import { installCrashHandler } from '../shared/crash.js';
import { loadConfigOrExit } from '../shared/env.js';
import { installShutdown } from '../shared/graceful-shutdown.js';
import { createHttpServer } from '../shared/http-server.js';
import { listenOrExit } from '../shared/listen.js';
import { createLogger, logListening, logRegardless } from '../shared/logger.js';
import { buildBalancer, type Balancer } from './build.js';
import { loadBalancerConfig } from './config.js';
import { JournalError } from './jobs/journal-error.js';
import { openControlWarning } from './workers/open-control.js';

const config = loadConfigOrExit('balancer', loadBalancerConfig, process.env);
const { logger, close: closeLog } = createLogger('balancer', config.logLevel);
installCrashHandler({ logger, flush: closeLog });
const exit = (code: number): void => void closeLog().finally(() => process.exit(code));

let balancer: Balancer;
try {
  balancer = await buildBalancer(config, logger);
} catch (err) {
  // The job journal cannot be had (DATA_DIR unwritable, or another balancer's): the message says
  // which and where, in one line.
  if (!(err instanceof JournalError)) throw err;
  logger.fatal({ dataDir: config.dataDir, code: err.code }, err.message);
  await closeLog();
  process.exit(1);
}
const { listener, healthChecker, upstream, jobs } = balancer;
const http = createHttpServer(listener);

listenOrExit(http.server, { port: config.port, host: config.host, logger, exit }, (port) => {
  logListening(logger, { port, host: config.host, auth: config.registrationToken !== undefined });
  // Said at every LOG_LEVEL short of silent: open control routes are worth knowing of whatever the level.
  const open = openControlWarning(config);
  if (open !== undefined) logRegardless(logger, 'warn', {}, open);
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
