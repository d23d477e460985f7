import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createAccessLogger, pinoAccessLogger, type AccessLine, type RootLogger } from '../../../src/shared/logger.js';

function capture(level: pino.LevelWithSilent) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const logger = pino(
    {
      name: 'balancer',
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    sink,
  );
  const root: RootLogger = { logger, writeLine: (line) => void sink.write(line), close: async () => {} };
  return { root, lines };
}

const line: AccessLine = { reqId: 'abc-1', method: 'GET', url: '/is_prime/7?x="quoted"\\', status: 200, responseTime: 3, server: 'server1' };

describe('access log line', () => {
  it('when written by hand, then it is the same JSON pino writes', () => {
    const fast = capture('info');
    const slow = capture('info');
    createAccessLogger(fast.root, 'balancer')('info', line);
    pinoAccessLogger(slow.root.logger)('info', line);
    const [a, b] = [JSON.parse(fast.lines[0]!), JSON.parse(slow.lines[0]!)] as Array<Record<string, unknown>>;
    expect({ ...a, time: 0 }).toEqual({ ...b, time: 0 });
    expect(Date.parse(String(a!.time))).not.toBeNaN();
  });

  it('when the level is below LOG_LEVEL, then nothing is written', () => {
    const { root, lines } = capture('warn');
    createAccessLogger(root, 'balancer')('info', line);
    createAccessLogger(root, 'balancer')('warn', { ...line, status: 400, server: undefined });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).not.toHaveProperty('server');
  });
});
