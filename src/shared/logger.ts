import { once } from 'node:events';
import { pino, type Logger } from 'pino';
import type { LogLevel } from './env.js';

export type { Logger };

export interface RootLogger {
  logger: Logger;
  /** Writes out what is buffered and closes the destination: call before exiting. */
  close(): Promise<void>;
}

/**
 * The root logger of a program: NDJSON on stdout, written asynchronously (sonic-boom) so that
 * a request never waits on a write(2): under load, lines pile up while one write is in flight
 * and leave together. On a planned exit, `close()` drains the buffer first, in order (exiting
 * with a write in flight prints the last lines out of order, seen here). A crash may lose what
 * is buffered, a few lines at most.
 */
export function createLogger(name: string, level: LogLevel): RootLogger {
  const destination = pino.destination({ dest: 1, sync: false });
  const logger = pino(
    {
      name,
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: ['req.headers.authorization'],
    },
    destination,
  );
  return {
    logger,
    async close() {
      const closed = once(destination, 'close');
      destination.end();
      await closed;
    },
  };
}

/**
 * Logs that a program is listening even when LOG_LEVEL is above info (short of silent):
 * launchers and tests read this line for readiness and for the port chosen by `PORT=0`.
 */
export function logListening(logger: Logger, fields: Record<string, unknown>): void {
  const target = logger.levelVal > logger.levels.values.info! && logger.level !== 'silent' ? logger.child({}, { level: 'info' }) : logger;
  target.info(fields, 'listening');
}
