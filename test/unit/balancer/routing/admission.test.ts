import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AdmissionQueue, type Admission } from '../../../../src/balancer/routing/admission.js';
import { Registry } from '../../../../src/balancer/workers/registry.js';
import { createRoundRobin } from '../../../../src/balancer/workers/round-robin.js';

function setup({ capacity = 1, maxQueue = 2, queueTimeoutMs = 1_000, servers = ['a'], maxInFlightPerServer = Number.MAX_SAFE_INTEGER } = {}) {
  // As build.ts wires them: every change in the registry is news for the queue.
  const registry: Registry = new Registry({
    maxServers: 10,
    maxInFlightPerServer,
    onTransition: () => queue.workersChanged(),
    onRoom: () => queue.workersChanged(),
  });
  const queue = new AdmissionQueue({ registry, select: createRoundRobin(registry), maxQueue, queueTimeoutMs });
  for (const name of servers) registry.register(`http://${name}:1`, name, capacity);
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
    queue.release(first.server, true);
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['second:a']);
    queue.release(registry.servers[0]!, true);
    await Promise.all([second, third]);
    expect(order).toEqual(['second:a', 'third:a']);
  });

  it('when the only worker is taken out while another one waits to take its address over, then waiting requests get the new one', async () => {
    const { registry, queue } = setup({ servers: ['10.0.0.5'] });
    const old = registry.servers[0]!;
    const first = queue.acquire(none) as Admission;
    // A new pod given the gone pod's IP announces itself while a request is in flight there.
    registry.register(old.address, 'new-pod');
    const waiting = Promise.resolve(queue.acquire(none));
    // The new pod resets the gone pod's connection: the try fails and the old entry is taken out.
    registry.recordFailure(old, 'ECONNRESET', { immediate: true });
    if (!first.ok) throw new Error('expected a slot');
    queue.release(first.server, false);
    await vi.advanceTimersByTimeAsync(0);
    expect(serverOf(await waiting)).toBe('new-pod');
  });

  it('when a request is retried on another worker, then the retry does not take the next request\'s turn', () => {
    const { queue } = setup({ servers: ['a', 'b', 'c'] });
    const first = queue.acquire(none) as Admission;
    // a failed it; the retry goes on to b, but the next request's turn is still b's.
    const retry = queue.acquire(new Set(['http://a:1'])) as Admission;
    const next = queue.acquire(none) as Admission;
    expect([first, retry, next].map(serverOf)).toEqual(['a', 'b', 'b']);
  });

  it('when a busy worker announces a larger capacity, then a waiting request gets the new slot at once', async () => {
    const { registry, queue } = setup({ capacity: 1 });
    queue.acquire(none, heavy);
    const waiting = queue.acquire(none, heavy);
    expect(queue.depth).toBe(1);
    registry.register('http://a:1', 'a', 2);
    await expect(waiting).resolves.toMatchObject({ ok: true, server: { name: 'a' } });
    expect(queue.depth).toBe(0);
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
    const hangUp = new AbortController();
    const waiting = queue.acquire(none, { signal: hangUp.signal, heavy: true });
    hangUp.abort();
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
    if (first.ok) queue.release(first.server, true);
    await expect(waiting).resolves.toEqual({ ok: false, reason: 'no_active_servers' });
  });

  it('when a retry waits, then it is given a worker it has not tried yet', async () => {
    const { queue } = setup({ servers: ['a', 'b'] });
    const a = queue.acquire(none, heavy) as Admission;
    const b = queue.acquire(none, heavy) as Admission;
    const retry = queue.acquire(new Set(['http://a:1']), heavy);
    if (a.ok) queue.release(a.server, true);
    await vi.advanceTimersByTimeAsync(0);
    expect(queue.depth).toBe(1);
    if (b.ok) queue.release(b.server, true);
    expect(serverOf(await retry)).toBe('b');
  });

  it.each([
    ['heavy', heavy],
    ['light', {}],
  ] as const)('when a waiting %s retry can only use a worker it has tried, then the request behind it gets that slot', async (_, options) => {
    const { queue } = setup({ servers: ['a', 'b'], maxQueue: 5, maxInFlightPerServer: 1 });
    const a = queue.acquire(none, options) as Admission;
    queue.acquire(none, options);
    const order: string[] = [];
    void Promise.resolve(queue.acquire(new Set(['http://a:1']), options)).then((x) => order.push(`retry:${serverOf(x)}`));
    void Promise.resolve(queue.acquire(none, options)).then((x) => order.push(`fresh:${serverOf(x)}`));
    if (a.ok) queue.release(a.server, 'heavy' in options);
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['fresh:a']);
    expect(queue.depth).toBe(1);
  });

  it('when light and heavy requests wait together, then freed slots go to them in arrival order', async () => {
    // One worker that takes two requests at once, one of them heavy.
    const { queue } = setup({ maxQueue: 10, maxInFlightPerServer: 2 });
    const first = queue.acquire(none, heavy) as Admission;
    const second = queue.acquire(none) as Admission;
    const order: string[] = [];
    for (const [name, options] of [['light1', {}], ['heavy1', heavy], ['light2', {}], ['heavy2', heavy]] as const) {
      void Promise.resolve(queue.acquire(none, options)).then(() => order.push(name));
    }
    if (!first.ok || !second.ok) throw new Error('expected slots');
    queue.release(second.server, false);
    await vi.advanceTimersByTimeAsync(0);
    // light1 takes the free place; heavy1 is next in line but the heavy slot is still taken.
    expect(order).toEqual(['light1']);
    queue.release(first.server, true);
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['light1', 'heavy1']);
    queue.release(first.server, false);
    await vi.advanceTimersByTimeAsync(0);
    // light2 came before heavy2 and may use the place; heavy2 must wait for heavy1's slot.
    expect(order).toEqual(['light1', 'heavy1', 'light2']);
    queue.release(first.server, true);
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['light1', 'heavy1', 'light2', 'heavy2']);
  });

  it('when a light and a heavy request wait and both kinds of place free up at once, then the one that came first goes first', async () => {
    const { queue } = setup({ maxQueue: 10, maxInFlightPerServer: 2 });
    const busyHeavy = queue.acquire(none, heavy) as Admission;
    queue.acquire(none);
    const order: string[] = [];
    void Promise.resolve(queue.acquire(none)).then(() => order.push('light'));
    void Promise.resolve(queue.acquire(none, heavy)).then(() => order.push('heavy'));
    if (!busyHeavy.ok) throw new Error('expected a slot');
    // One place in all is free now, usable by either: the light request was first.
    queue.release(busyHeavy.server, true);
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['light']);
  });

  it('when a worker goes away, then a waiting retry that has tried every worker left is told at once', async () => {
    const { registry, queue } = setup({ servers: ['a', 'b'], maxQueue: 5 });
    queue.acquire(none, heavy);
    queue.acquire(none, heavy);
    let result: Admission | undefined;
    void Promise.resolve(queue.acquire(new Set(['http://a:1']), heavy)).then((a) => (result = a));
    registry.recordFailure(registry.get('http://b:1')!, 'refused', { immediate: true });
    await vi.advanceTimersByTimeAsync(0);
    // b is gone and this request has tried a (still full of heavy work): no worker it may use is
    // left, so it is told now rather than after its queue timeout.
    expect(result).toEqual({ ok: false, reason: 'exhausted' });
    expect(queue.depth).toBe(0);
  });

  it('when heavy requests queue for calculators, then a light request waiting behind them gets a freed place', async () => {
    const { queue } = setup({ maxQueue: 50, maxInFlightPerServer: 2 });
    const busy = [queue.acquire(none, heavy), queue.acquire(none)] as Admission[];
    for (let i = 0; i < 30; i++) void queue.acquire(none, heavy);
    let light: Admission | undefined;
    void Promise.resolve(queue.acquire(none)).then((a) => (light = a));
    if (!busy[1]!.ok) throw new Error('expected a slot');
    queue.release(busy[1]!.server, false);
    await vi.advanceTimersByTimeAsync(0);
    expect(light).toMatchObject({ ok: true });
    expect(queue.depth).toBe(30);
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
