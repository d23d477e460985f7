import { describe, expect, it } from 'vitest';
import { loadWorkerConfig } from '../../../src/worker/config.js';

describe('worker config: MAX_TASK_SPAN', () => {
  it('when MAX_TASK_SPAN is not set, then a task may span 10^10 numbers', () => {
    expect(loadWorkerConfig({}).maxTaskSpan).toBe(10_000_000_000);
  });

  it('when MAX_TASK_SPAN is set, then that is the limit', () => {
    expect(loadWorkerConfig({ MAX_TASK_SPAN: '1000000' }).maxTaskSpan).toBe(1_000_000);
  });

  it.each(['0', '-5', '1e10', 'lots', '9007199254740992'])('when MAX_TASK_SPAN is %j, then the worker refuses to start, naming it', (value) => {
    expect(() => loadWorkerConfig({ MAX_TASK_SPAN: value })).toThrow(/MAX_TASK_SPAN/);
  });
});
