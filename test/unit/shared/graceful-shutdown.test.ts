import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { installShutdown } from '../../../src/shared/graceful-shutdown.js';
import { silentLogger } from '../../support/logger.js';

function setup(close: () => Promise<void>) {
  const target = new EventEmitter();
  const exit = vi.fn();
  installShutdown({ logger: silentLogger, close, timeoutMs: 1_000, exit, target });
  return { target, exit };
}

describe('installShutdown', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('when SIGTERM arrives, then close runs once and the program exits 0', async () => {
    const close = vi.fn(() => new Promise<void>((resolve) => setTimeout(resolve, 100)));
    const { target, exit } = setup(close);
    target.emit('SIGTERM', 'SIGTERM');
    await vi.advanceTimersByTimeAsync(100);
    expect(close).toHaveBeenCalledOnce();
    expect(exit).toHaveBeenCalledWith(0);
  });

  it('when a second signal arrives during shutdown, then it exits 1 at once', () => {
    const { target, exit } = setup(() => new Promise(() => {}));
    target.emit('SIGINT', 'SIGINT');
    target.emit('SIGINT', 'SIGINT');
    expect(exit).toHaveBeenCalledWith(1);
  });

  it('when close takes longer than the timeout, then it exits 1', async () => {
    const { target, exit } = setup(() => new Promise(() => {}));
    target.emit('SIGTERM', 'SIGTERM');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(exit).toHaveBeenCalledWith(1);
  });

  it('when close fails, then it exits 1', async () => {
    const { target, exit } = setup(() => Promise.reject(new Error('boom')));
    target.emit('SIGTERM', 'SIGTERM');
    await vi.advanceTimersByTimeAsync(0);
    expect(exit).toHaveBeenCalledWith(1);
  });
});
