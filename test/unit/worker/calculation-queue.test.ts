import { describe, expect, it } from 'vitest';
import { CalculationQueue } from '../../../src/worker/calculation-queue.js';

const deferred = () => {
  let resolve!: (v: string) => void;
  const promise = new Promise<string>((r) => (resolve = r));
  return { promise, resolve };
};

describe('calculation queue', () => {
  it('when more calculations arrive than there are slots, then the rest wait and start in order', async () => {
    const queue = new CalculationQueue(1);
    const first = deferred();
    const started: string[] = [];
    const a = queue.run(() => (started.push('a'), first.promise), () => true);
    const b = queue.run(async () => (started.push('b'), 'b'), () => true);
    expect([started, queue.queued]).toEqual([['a'], 1]);
    first.resolve('a');
    expect([await a, await b]).toEqual(['a', 'b']);
    expect(started).toEqual(['a', 'b']);
  });

  it('when a waiting calculation is no longer wanted, then it is dropped without running', async () => {
    const queue = new CalculationQueue(1);
    const first = deferred();
    let ran = false;
    void queue.run(() => first.promise, () => true);
    const dropped = queue.run(async () => ((ran = true), 'x'), () => false);
    first.resolve('a');
    expect(await dropped).toBeUndefined();
    expect(ran).toBe(false);
  });
});
