import { once } from 'node:events';
import { pino, type Logger } from 'pino';
import type { LogLevel } from './env.js';

export type { Logger };

export interface RootLogger {
  logger: Logger;
  /** Writes out what is buffered and closes the destination: call before exiting. */
  close(): Promise<void>;
}

/** Lines are written in batches of about this many characters, or after FLUSH_MS at the latest. */
const BATCH_CHARS = 16 * 1024;
const FLUSH_MS = 100;

/**
 * The root logger of a program: NDJSON on stdout (or `dest`, a file), written asynchronously (sonic-boom) in
 * batches, so that a request never waits on a write(2) and a busy balancer makes one write per
 * few dozen lines instead of one per line (a measured share of its CPU per request). Nothing
 * waits longer than FLUSH_MS to appear. On a planned exit, `close()` drains the buffer first,
 * in order (exiting with a write in flight prints the last lines out of order, seen here). A
 * crash may lose the last FLUSH_MS of lines.
 *
 * The batch is put together here rather than by sonic-boom's `minLength`: sonic-boom measures
 * the UTF-8 length of its whole pending buffer on every write, so each line cost a copy and a
 * scan of up to 16 kB (measured: about a fifth of the balancer's CPU per request).
 */
export function createLogger(name: string, level: LogLevel, { dest = 1 }: { dest?: number | string } = {}): RootLogger {
  const destination = pino.destination({ dest, sync: false });
  let batch = '';
  const flush = (): void => {
    if (batch === '') return;
    destination.write(batch);
    batch = '';
  };
  const writeLine = (line: string): void => {
    batch += line;
    if (batch.length >= BATCH_CHARS) flush();
  };
  const flusher = setInterval(flush, FLUSH_MS);
  flusher.unref();
  const logger = pino(
    {
      name,
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: ['req.headers.authorization'],
    },
    { write: writeLine },
  );
  return {
    logger,
    async close() {
      clearInterval(flusher);
      flush();
      const closed = once(destination, 'close');
      destination.end();
      await closed;
    },
  };
}

/**
 * Logs a line at `level` even when LOG_LEVEL is above it (short of silent): lines that
 * launchers, tests and operators must see whatever the level.
 */
export function logRegardless(logger: Logger, level: 'info' | 'warn', fields: Record<string, unknown>, msg: string): void {
  const target = logger.levelVal > logger.levels.values[level]! && logger.level !== 'silent' ? logger.child({}, { level }) : logger;
  target[level](fields, msg);
}

/**
 * Logs that a program is listening even when LOG_LEVEL is above info (short of silent):
 * launchers and tests read this line for readiness and for the port chosen by `PORT=0`.
 */
export function logListening(logger: Logger, fields: Record<string, unknown>): void {
  logRegardless(logger, 'info', fields, 'listening');
}
