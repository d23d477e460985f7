import { describe, expect, it } from 'vitest';
import { MIN_TASK_SPAN, TaskSizer } from '../../../../src/balancer/jobs/task-sizer.js';

describe('task sizes', () => {
  it('when workers count a million numbers per millisecond, then tasks settle at the target time', () => {
    const sizer = new TaskSizer({ targetMs: 300, maxSpan: 10n ** 12n });
    let span = 0n;
    for (let i = 0; i < 10; i++) {
      span = sizer.next(10n ** 15n, 4);
      sizer.record(span, Number(span) / 1e6, Number(span) / 1e6 + 2);
    }
    expect(Number(span)).toBeGreaterThan(290e6);
    expect(Number(span)).toBeLessThan(310e6);
    expect(sizer.expectedMs(300_000_000n)).toBeGreaterThan(300);
  });

  it('when the first task was very fast, then the next grows at most fourfold', () => {
    const sizer = new TaskSizer({ targetMs: 300, maxSpan: 10n ** 12n });
    const first = sizer.next(10n ** 15n, 2);
    sizer.record(first, 0.01, 1);
    expect(sizer.next(10n ** 15n, 2)).toBe(first * 4n);
  });

  it('when little is left, then it is shared among the slots so that workers finish together', () => {
    const sizer = new TaskSizer({ targetMs: 300, maxSpan: 10n ** 12n });
    sizer.record(1_000_000n, 1, 1);
    expect(sizer.next(40_000_000n, 4)).toBe(10_000_000n);
    expect(sizer.next(100n, 4)).toBe(100n);
  });

  it('when a worker refuses a task as too wide, then later tasks stay below half of it', () => {
    const sizer = new TaskSizer({ targetMs: 1_000_000, maxSpan: 10n ** 12n });
    sizer.shrinkBelow(80_000_000n);
    sizer.record(1_000_000n, 0.001, 0.001);
    for (let i = 0; i < 20; i++) sizer.next(10n ** 15n, 1);
    expect(sizer.next(10n ** 15n, 1)).toBe(40_000_000n);
    sizer.shrinkBelow(MIN_TASK_SPAN);
    expect(sizer.next(10n ** 15n, 1)).toBe(MIN_TASK_SPAN);
  });
});
