import { describe, expect, it } from 'vitest';
import { MAX_TASKS_PER_JOB, MIN_TASK_SPAN, TaskSizer } from '../../../../src/balancer/jobs/task-sizer.js';

describe('task sizes', () => {
  it('when workers count a million numbers per millisecond, then tasks settle at the target time', () => {
    const sizer = new TaskSizer({ targetMs: 300, maxSpan: 10n ** 12n, jobSpan: 10n ** 12n, longestMs: 15_000 });
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
    const sizer = new TaskSizer({ targetMs: 300, maxSpan: 10n ** 12n, jobSpan: 10n ** 12n, longestMs: 15_000 });
    const first = sizer.next(10n ** 15n, 2);
    sizer.record(first, 0.01, 1);
    expect(sizer.next(10n ** 15n, 2)).toBe(first * 4n);
  });

  it('when little is left, then it is shared among the slots so that workers finish together', () => {
    const sizer = new TaskSizer({ targetMs: 300, maxSpan: 10n ** 12n, jobSpan: 10n ** 12n, longestMs: 15_000 });
    sizer.record(1_000_000n, 1, 1);
    expect(sizer.next(40_000_000n, 4)).toBe(10_000_000n);
    expect(sizer.next(100n, 4)).toBe(100n);
  });

  it('when a worker refuses a task as too wide, then later tasks stay below half of it', () => {
    const sizer = new TaskSizer({ targetMs: 1_000_000, maxSpan: 10n ** 12n, jobSpan: 10n ** 12n, longestMs: 15_000 });
    sizer.shrinkBelow(80_000_000n);
    sizer.record(1_000_000n, 0.001, 0.001);
    for (let i = 0; i < 20; i++) sizer.next(10n ** 15n, 1);
    expect(sizer.next(10n ** 15n, 1)).toBe(40_000_000n);
    sizer.shrinkBelow(MIN_TASK_SPAN);
    expect(sizer.next(10n ** 15n, 1)).toBe(MIN_TASK_SPAN);
  });

  it('when a job is so large that target-time tasks would be too many to keep, then it is cut into at most MAX_TASKS_PER_JOB, reached by growing', () => {
    const whole = 10n ** 15n;
    const sizer = new TaskSizer({ targetMs: 300, maxSpan: 10n ** 12n, jobSpan: whole, longestMs: 30_000 });
    let remaining = whole;
    let tasks = 0n;
    const spans: bigint[] = [];
    while (remaining > 0n) {
      const span = sizer.next(remaining, 4);
      // A million numbers a millisecond: 3·10^8 numbers would be the target's 300 ms.
      sizer.record(span, Number(span) / 1e6, Number(span) / 1e6 + 2);
      remaining -= span;
      tasks += 1n;
      if (spans.length < 8) spans.push(span);
    }
    // The first task is the usual one, and later ones grow towards the floor at most fourfold each.
    expect(spans[0]).toBe(10_000_000n);
    for (let i = 1; i < spans.length; i++) expect(spans[i]! <= spans[i - 1]! * 4n).toBe(true);
    expect(tasks).toBeLessThanOrEqual(MAX_TASKS_PER_JOB + 100n);
    expect(tasks).toBeGreaterThan(MAX_TASKS_PER_JOB / 2n);
  });

  it('when MAX_TASK_SPAN is below a huge job\'s floor, then the worker\'s limit wins', () => {
    const sizer = new TaskSizer({ targetMs: 300, maxSpan: 10n ** 10n, jobSpan: 10n ** 16n, longestMs: 100_000 });
    for (let i = 0; i < 20; i++) sizer.record(sizer.next(10n ** 16n, 2), 1, 1);
    expect(sizer.next(10n ** 16n, 2)).toBe(10n ** 10n);
  });

  it('when a huge job\'s floor would make a task run past a quarter of TASK_TIMEOUT_MS, then tasks stop growing there', () => {
    const sizer = new TaskSizer({ targetMs: 300, maxSpan: 10n ** 12n, jobSpan: 10n ** 15n, longestMs: 15_000 });
    // Ten thousand numbers a millisecond: the floor of 2·10^10 numbers would take 2,000 s.
    for (let i = 0; i < 20; i++) {
      const span = sizer.next(10n ** 15n, 2);
      sizer.record(span, Number(span) / 1e4, Number(span) / 1e4);
    }
    expect(sizer.next(10n ** 15n, 2)).toBe(150_000_000n);
  });
});
