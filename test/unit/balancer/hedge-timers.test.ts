import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HedgeTimers } from '../../../src/balancer/hedge-timers.js';

describe('hedge timers', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  // Date.now is faked along with the timers.
  const rethrow = (err: unknown): never => {
    throw err;
  };
  const timers = (onError: (err: unknown) => void = rethrow) => new HedgeTimers(onError, () => Date.now());

  it('when the balancer is woken after a hedge is due, then the hedge goes out then, not before', () => {
    const hedges = timers();
    const fired: string[] = [];
    hedges.schedule(10, () => fired.push('a'));
    vi.setSystemTime(Date.now() + 9);
    hedges.poll();
    expect(fired).toEqual([]);
    vi.setSystemTime(Date.now() + 1);
    hedges.poll();
    expect(fired).toEqual(['a']);
    hedges.poll();
    expect(fired).toEqual(['a']);
  });

  it('when nothing wakes the balancer, then a hedge still goes out at its due time', () => {
    const hedges = timers();
    const fired: number[] = [];
    const start = Date.now();
    hedges.schedule(10, () => fired.push(Date.now() - start));
    vi.advanceTimersByTime(9);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([10]);
  });

  it('when a hedge is due a fraction of a millisecond ahead, then its timer is set for the whole millisecond after, so that one timer sends it', () => {
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const hedges = timers();
    const fired: number[] = [];
    const start = Date.now();
    hedges.schedule(1.6, () => fired.push(Date.now() - start));
    expect(setTimeoutSpy).toHaveBeenCalledTimes(1);
    expect(setTimeoutSpy.mock.calls[0]![1]).toBe(2);
    vi.advanceTimersByTime(2);
    expect(fired).toEqual([2]);
    expect(setTimeoutSpy).toHaveBeenCalledTimes(1);
    setTimeoutSpy.mockRestore();
  });

  it('when a hedge is cancelled (its answer came), then it never goes out', () => {
    const hedges = timers();
    const fired: string[] = [];
    const a = hedges.schedule(10, () => fired.push('a'));
    hedges.schedule(20, () => fired.push('b'));
    hedges.cancel(a);
    vi.advanceTimersByTime(100);
    expect(fired).toEqual(['b']);
    expect(hedges.size).toBe(0);
  });

  it('when a later request has a shorter delay (a learned delay shrank), then it goes out first', () => {
    const hedges = timers();
    const fired: string[] = [];
    hedges.schedule(30, () => fired.push('long'));
    hedges.schedule(10, () => fired.push('short'));
    vi.setSystemTime(Date.now() + 10);
    hedges.poll();
    expect(fired).toEqual(['short']);
    vi.setSystemTime(Date.now() + 20);
    hedges.poll();
    expect(fired).toEqual(['short', 'long']);
  });

  it('when a learned delay shrinks and nothing wakes the balancer, then the earlier hedge still goes out on time', () => {
    const hedges = timers();
    const start = Date.now();
    const fired: number[] = [];
    const long = hedges.schedule(200, () => fired.push(-1));
    vi.advanceTimersByTime(1);
    hedges.schedule(1, () => fired.push(Date.now() - start));
    hedges.cancel(long);
    vi.advanceTimersByTime(300);
    expect(fired).toEqual([2]);
  });

  it('when thousands of hedges pass through, most answered first, then each of the others goes out exactly once', () => {
    const hedges = timers();
    const fired = new Map<number, number>();
    const kept: number[] = [];
    for (let i = 0; i < 5_000; i++) {
      const entry = hedges.schedule(3, () => fired.set(i, (fired.get(i) ?? 0) + 1));
      if (i % 10 === 0) kept.push(i);
      else hedges.cancel(entry);
      vi.advanceTimersByTime(0.1);
      if (i % 3 === 0) hedges.poll();
    }
    vi.advanceTimersByTime(20);
    expect([...fired.keys()].sort((a, b) => a - b)).toEqual(kept);
    expect([...fired.values()].every((n) => n === 1)).toBe(true);
    expect(hedges.size).toBe(0);
  });

  it('when a hedge going out wakes the balancer again (poll inside a hedge), then nothing goes out twice', () => {
    const hedges = timers();
    const fired: string[] = [];
    hedges.schedule(1, () => {
      fired.push('a');
      hedges.poll();
    });
    hedges.schedule(1, () => fired.push('b'));
    vi.setSystemTime(Date.now() + 1);
    hedges.poll();
    hedges.poll();
    expect(fired).toEqual(['a', 'b']);
  });

  it('when one hedge throws, then it is reported and the others due still go out', () => {
    const errors: unknown[] = [];
    const hedges = timers((err) => errors.push(err));
    const fired: string[] = [];
    hedges.schedule(1, () => {
      throw new Error('boom');
    });
    hedges.schedule(2, () => fired.push('b'));
    vi.setSystemTime(Date.now() + 2);
    hedges.poll();
    expect(errors).toEqual([new Error('boom')]);
    expect(fired).toEqual(['b']);
  });

  it('when answers keep coming before the hedges are due, then one timer at most is pending', () => {
    const hedges = timers();
    for (let i = 0; i < 1_000; i++) {
      const entry = hedges.schedule(1, () => {
        throw new Error('answered first: must not fire');
      });
      hedges.cancel(entry);
      hedges.poll();
      vi.advanceTimersByTime(0.5);
    }
    expect(vi.getTimerCount()).toBeLessThanOrEqual(1);
    vi.advanceTimersByTime(10);
    expect(vi.getTimerCount()).toBe(0);
    expect(hedges.size).toBe(0);
  });
});
