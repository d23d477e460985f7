import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/shared/logger.js';

const tempFile = () => join(mkdtempSync(join(tmpdir(), 'distcalc-log-')), 'out.log');
const records = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { msg: string; req: { id: string }; level: string });

describe('root logger', () => {
  it('when thousands of lines are logged in batches, then they are all written, in the order they were logged', async () => {
    const file = tempFile();
    const root = createLogger('balancer', 'info', { dest: file });
    for (let i = 0; i < 5_000; i++) {
      if (i % 7 === 0) root.logger.warn({ req: { id: `r${i}` } }, 'try failed');
      else root.logger.info({ req: { id: `r${i}`, method: 'GET', url: `/is_prime/${i}` } }, 'request completed');
    }
    await root.close();
    const lines = records(file);
    expect(lines.map((l) => l.req.id)).toEqual(Array.from({ length: 5_000 }, (_, i) => `r${i}`));
    expect(lines[7]!.msg).toBe('try failed');
  });

  it('when only a few lines are logged, then they still appear within a fraction of a second', async () => {
    const file = tempFile();
    const root = createLogger('worker', 'info', { dest: file });
    root.logger.info('listening');
    await new Promise((r) => setTimeout(r, 400));
    expect(records(file).map((l) => l.msg)).toEqual(['listening']);
    await root.close();
  });
});
