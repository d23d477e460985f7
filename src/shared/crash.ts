import type { Logger } from './logger.js';

/** Exit even if flushing hangs. */
const FLUSH_TIMEOUT_MS = 2_000;

export interface CrashOptions {
  logger: Logger;
  /** Writes out what the logger has buffered (RootLogger.close). */
  flush: () => Promise<void>;
}

/**
 * A bug that escaped every handler leaves the program in a state nobody planned for: log it as
 * one `fatal` line with the error, flush the log so that the line is not lost, and exit 1 so
 * that a supervisor (Docker's restart policy, Kubernetes) starts it afresh. A second crash
 * while flushing changes nothing.
 */
export function installCrashHandler({ logger, flush }: CrashOptions): void {
  let crashed = false;
  const crash = (what: string) => (err: unknown) => {
    if (crashed) return;
    crashed = true;
    logger.fatal({ err }, what);
    setTimeout(() => process.exit(1), FLUSH_TIMEOUT_MS).unref();
    void flush().finally(() => process.exit(1));
  };
  process.on('uncaughtException', crash('uncaught exception'));
  process.on('unhandledRejection', crash('unhandled rejection'));
}
