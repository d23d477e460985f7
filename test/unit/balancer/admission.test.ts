import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AdmissionQueue, type Admission } from '../../../src/balancer/admission.js';
import { Cancellation } from '../../../src/balancer/cancellation.js';
import { Registry } from '../../../src/balancer/registry.js';
import { createRoundRobin } from '../../../src/balancer/round-robin.js';

function setup({ capacity = 1, maxQueue = 2, queueTimeoutMs = 1_000, servers = ['a'] } = {}) {
  const registry = new Registry({ maxServers: 10 });
  for (const name of servers) registry.register(`http://${name}:1`, name, capacity);
  const queue = new AdmissionQueue({ registry, select: createRoundRobin(registry), maxQueue, queueTimeoutMs });
  return { registry, queue };
}

const none = new Set<string>();
// Heavy calculations are what a worker's capacity bounds.
const heavy = { heavy: true };
const serverOf = (a: Admission) => (a.ok ? a.server.name : a.reason);

describe('admission queue', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('when a worker has a free slot, then the request gets it at once', () => {
    const { queue } = setup();
    const admitted = queue.acquire(none, heavy);
    expect(admitted).toMatchObject({ ok: true });
  });

  it('when every worker is full, then requests wait and get slots first come, first served', async () => {
    const { registry, queue } = setup();
    const first = queue.acquire(none, heavy) as Admission;
    const order: string[] = [];
    const second = Promise.resolve(queue.acquire(none, heavy)).then((a) => order.push(`second:${serverOf(a)}`));
    const third = Promise.resolve(queue.acquire(none, heavy)).then((a) => order.push(`third:${serverOf(a)}`));
    expect(queue.depth).toBe(2);
    if (!first.ok) throw new Error('expected a slot');
    registry.end(first.server, true);
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['second:a']);
    registry.end(registry.servers[0]!, true);
    await Promise.all([second, third]);
    expect(order).toEqual(['second:a', 'third:a']);
  });

  it('when the queue is full, then the next request is turned away as overloaded at once', () => {
    const { queue } = setup({ maxQueue: 1 });
    queue.acquire(none, heavy);
    void queue.acquire(none, heavy);
    expect(queue.acquire(none, heavy)).toEqual({ ok: false, reason: 'overloaded' });
  });

  it('when a request waits longer than the queue timeout, then it is overloaded and leaves the queue', async () => {
    const { queue } = setup({ queueTimeoutMs: 500 });
    queue.acquire(none, heavy);
    const waiting = queue.acquire(none, heavy);
    await vi.advanceTimersByTimeAsync(500);
    await expect(waiting).resolves.toEqual({ ok: false, reason: 'overloaded' });
    expect(queue.depth).toBe(0);
  });

  it('when the client hangs up while waiting, then it leaves the queue', async () => {
    const { queue } = setup();
    queue.acquire(none, heavy);
    const hangUp = new Cancellation();
    const waiting = queue.acquire(none, { cancellation: hangUp, heavy: true });
    hangUp.cancel();
    await expect(waiting).resolves.toEqual({ ok: false, reason: 'aborted' });
    expect(queue.depth).toBe(0);
  });

  it('when no worker is active, then a request is refused instead of waiting', () => {
    const { registry, queue } = setup();
    registry.markFailed(registry.servers[0]!, 'down');
    expect(queue.acquire(none, heavy)).toEqual({ ok: false, reason: 'no_active_servers' });
  });

  it('when waiting requests lose their last worker, then they are released at once', async () => {
    const { registry, queue } = setup();
    const first = queue.acquire(none, heavy) as Admission;
    const waiting = queue.acquire(new Set(), heavy);
    registry.markFailed(registry.servers[0]!, 'down');
    if (first.ok) registry.end(first.server, true);
    await expect(waiting).resolves.toEqual({ ok: false, reason: 'no_active_servers' });
  });

  it('when a retry waits, then it is given a worker it has not tried yet', async () => {
    const { registry, queue } = setup({ servers: ['a', 'b'] });
    const a = queue.acquire(none, heavy) as Admission;
    const b = queue.acquire(none, heavy) as Admission;
    const retry = queue.acquire(new Set(['http://a:1']), heavy);
    if (a.ok) registry.end(a.server, true);
    await vi.advanceTimersByTimeAsync(0);
    expect(queue.depth).toBe(1);
    if (b.ok) registry.end(b.server, true);
    expect(serverOf(await retry)).toBe('b');
  });

  it('when every worker is full of heavy work, then a light request still goes through at once', () => {
    const { queue } = setup();
    queue.acquire(none, heavy);
    expect(queue.acquire(none)).toMatchObject({ ok: true });
  });

  it('when told Retry-After, then it grows with the queue and the recent service time', () => {
    const { queue } = setup({ maxQueue: 100, capacity: 2 });
    queue.recordServiceTime(1_000);
    expect(queue.retryAfterSeconds()).toBe(1);
    for (let i = 0; i < 12; i++) void queue.acquire(none, heavy);
    expect(queue.retryAfterSeconds()).toBe(6);
  });
});
