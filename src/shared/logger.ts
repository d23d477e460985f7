import { pino, type Logger } from 'pino';
import type { LogLevel } from './env.js';

export type { Logger };

/**
 * The root logger of a program: NDJSON on stdout, written asynchronously so that a busy
 * request path never waits on the terminal or a pipe. pino flushes what is buffered on exit.
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
    pino.destination({ dest: 1, sync: false }),
  );
}
