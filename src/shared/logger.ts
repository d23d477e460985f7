import { pino, type Logger } from 'pino';
import type { LogLevel } from './env.js';

export type { Logger };

/**
 * The root logger of a program: NDJSON on stdout. Written synchronously on purpose: with
 * sonic-boom's asynchronous mode a process that exits while a write is in flight prints its
 * last lines out of order (seen here: the shutdown story came back reversed), and a crash
 * loses what was buffered. One write(2) per line costs a few microseconds.
 */
export function createLogger(name: string, level: LogLevel): Logger {
  return pino(
    {
      name,
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: ['req.headers.authorization'],
    },
    pino.destination({ dest: 1, sync: true }),
  );
}

/**
 * Logs that a program is listening even when LOG_LEVEL is above info (short of silent):
 * launchers and tests read this line for readiness and for the port chosen by `PORT=0`.
 */
export function logListening(logger: Logger, fields: Record<string, unknown>): void {
  const target = logger.levelVal > logger.levels.values.info! && logger.level !== 'silent' ? logger.child({}, { level: 'info' }) : logger;
  target.info(fields, 'listening');
}
