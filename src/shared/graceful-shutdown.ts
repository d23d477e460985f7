import type { Logger } from './logger.js';

export interface SignalSource {
  on(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

export interface ShutdownOptions {
  logger: Logger;
  /** Runs once, on the first signal: stop taking work, finish what is in flight. */
  close: (signal: string) => Promise<void>;
  /** After this long the program exits 1 even if close has not finished. */
  timeoutMs: number;
  /** Ends the program: main.ts flushes the log first. */
  exit: (code: number) => void;
  /** Where signals come from: the process, or an EventEmitter in tests. */
  target?: SignalSource;
}

/**
 * Graceful shutdown in the manner of close-with-grace: the first SIGTERM/SIGINT runs `close`
 * and exits 0 when it resolves; a second signal, a failure in `close` or an over-run of
 * `timeoutMs` exits 1.
 */
export function installShutdown({
  logger,
  close,
  timeoutMs,
  exit,
  target = process,
}: ShutdownOptions): void {
  let closing = false;

  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) {
      logger.warn({ signal }, 'second signal during shutdown: exiting now');
      exit(1);
      return;
    }
    closing = true;
    logger.info({ signal, timeoutMs }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown took too long: exiting');
      exit(1);
    }, timeoutMs);
    timer.unref();
    close(signal).then(
      () => {
        clearTimeout(timer);
        logger.info('shutdown complete');
        exit(0);
      },
      (err: unknown) => {
        clearTimeout(timer);
        logger.error({ err }, 'shutdown failed');
        exit(1);
      },
    );
  };

  target.on('SIGTERM', onSignal);
  target.on('SIGINT', onSignal);
}

