import type { Logger } from './logger.js';

export interface CrashOptions {
  logger: Logger;
  /** Writes out what the logger has buffered (RootLogger.close). */
  flush: () => Promise<void>;
  exit?: (code: number) => void;
  /** Where the events come from: the process, or an EventEmitter in tests. */
  target?: Pick<NodeJS.Process, 'on'>;
  /** Exit even if flushing hangs. */
  flushTimeoutMs?: number;
}

/**
 * A bug that escaped every handler leaves the program in a state nobody planned for: log it as
 * one `fatal` line with the error, flush the log so that the line is not lost, and exit 1 so
 * that a supervisor (Docker's restart policy, Kubernetes) starts it afresh. A second crash
 * while flushing changes nothing.
 */
export function installCrashHandler({ logger, flush, exit = (code) => process.exit(code), target = process, flushTimeoutMs = 2_000 }: CrashOptions): void {
  let crashed = false;
  const crash = (what: string) => (err: unknown) => {
    if (crashed) return;
    crashed = true;
    logger.fatal({ err }, what);
    setTimeout(() => exit(1), flushTimeoutMs).unref();
    void flush().finally(() => exit(1));
  };
  target.on('uncaughtException', crash('uncaught exception'));
  target.on('unhandledRejection', crash('unhandled rejection'));
}
