import { pino, type Logger } from 'pino';
import { Writable } from 'node:stream';

export interface CapturedLogger {
  logger: Logger;
  /** Every record logged so far, parsed. */
  records: Array<Record<string, unknown>>;
}

/** A real pino logger that keeps its records in memory, for asserting on log lines. */
export function captureLogger(level: pino.LevelWithSilent = 'debug'): CapturedLogger {
  const records: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) records.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level }, sink), records };
}

export const silentLogger: Logger = pino({ level: 'silent' });
