import { describe, expect, it } from 'vitest';
import { Registry } from '../../../../src/balancer/workers/registry.js';
import { createLeastOutstanding } from '../../../../src/balancer/workers/least-outstanding.js';
import { createRoundRobin } from '../../../../src/balancer/workers/round-robin.js';

function registryWith(names: string[], capacity = 2): Registry {
  const registry = new Registry({ maxServers: 10, maxInFlightPerServer: 8 });
  for (const name of names) registry.register(`http://${name}:5000`, name, capacity);
  return registry;
}

const none = new Set<string>();

describe('round robin', () => {
  it('when all workers are active, then requests alternate between them', () => {
    const registry = registryWith(['a', 'b', 'c']);
    const select = createRoundRobin(registry);
    const picks = Array.from({ length: 6 }, () => select(registry.servers, none, false)?.name);
    expect(picks).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('when a worker is inactive or draining, then it is skipped', () => {
    const registry = registryWith(['a', 'b', 'c']);
    registry.markFailed(registry.servers[1]!, 'down');
    registry.drain('http://c:5000');
    const select = createRoundRobin(registry);
    expect(Array.from({ length: 3 }, () => select(registry.servers, none, false)?.name)).toEqual(['a', 'a', 'a']);
  });

  it('when retrying a request, then workers already tried are skipped', () => {
    const registry = registryWith(['a', 'b']);
    const select = createRoundRobin(registry);
    const first = select(registry.servers, none, false)!;
    expect(select(registry.servers, new Set([first.address]), false)?.name).toBe('b');
    expect(select(registry.servers, new Set(['http://a:5000', 'http://b:5000']), false)).toBeUndefined();
  });

  it('when a request is hedged, then the hedge does not take a turn, so first tries still alternate', () => {
    const registry = registryWith(['a', 'b']);
    const select = createRoundRobin(registry);
    const first = select(registry.servers, none, false)!;
    expect(select(registry.servers, new Set([first.address]), false, false)?.name).toBe('b');
    expect(select(registry.servers, none, false)?.name).toBe('b');
  });

  it('when a worker runs as many heavy calculations as it can, then it gets no more heavy ones but still light ones', () => {
    const registry = registryWith(['a'], 1);
    const select = createRoundRobin(registry);
    registry.begin(registry.servers[0]!, true);
    expect(select(registry.servers, none, true)).toBeUndefined();
    expect(select(registry.servers, none, false)?.name).toBe('a');
  });

  it('when there is no active worker, then nothing is picked', () => {
    const registry = registryWith([]);
    expect(createRoundRobin(registry)(registry.servers, none, false)).toBeUndefined();
  });
});

describe('least outstanding', () => {
  it('when one worker is busy with heavy work, then light requests go to the other', () => {
    const registry = registryWith(['a', 'b']);
    const [a] = registry.servers;
    registry.begin(a!, true);
    registry.begin(a!, true);
    const select = createLeastOutstanding(registry);
    expect(Array.from({ length: 4 }, () => select(registry.servers, none, false)?.name)).toEqual(['b', 'b', 'b', 'b']);
  });

  it('when heavy work arrives, then it goes where the fewest heavy calculations run, relative to capacity', () => {
    const registry = new Registry({ maxServers: 10 });
    const a = registry.register('http://a:1', 'a', 4);
    const b = registry.register('http://b:1', 'b', 1);
    const select = createLeastOutstanding(registry);
    const picks: string[] = [];
    for (let i = 0; i < 5; i++) {
      const server = select(registry.servers, none, true)!;
      registry.begin(server, true);
      picks.push(server.name);
    }
    expect(picks.sort()).toEqual(['a', 'a', 'a', 'a', 'b']);
    expect(select(registry.servers, none, true)).toBeUndefined();
    expect([a.heavyInFlight, b.heavyInFlight]).toEqual([4, 1]);
  });

  it('when workers are equally loaded with work on them, then the one used last gets the next request', () => {
    const registry = registryWith(['a', 'b', 'c']);
    for (const server of registry.servers) registry.begin(server);
    const select = createLeastOutstanding(registry);
    const first = select(registry.servers, none, false)!;
    expect(Array.from({ length: 3 }, () => select(registry.servers, none, false)?.name)).toEqual([first.name, first.name, first.name]);
  });

  it('when no worker has anything in flight, then requests sent one at a time take turns, as with round robin', () => {
    const registry = registryWith(['a', 'b', 'c']);
    const select = createLeastOutstanding(registry);
    const picks = Array.from({ length: 6 }, () => {
      const server = select(registry.servers, none, false)!;
      registry.begin(server);
      registry.end(server);
      return server.name;
    });
    expect(picks).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('when a worker before the one chosen last is removed, then the turn still goes on from the one chosen last', () => {
    const registry = registryWith(['a', 'b', 'c']);
    const select = createLeastOutstanding(registry);
    expect([select(registry.servers, none, false)?.name, select(registry.servers, none, false)?.name]).toEqual(['a', 'b']);
    registry.remove(registry.servers[0]!, 'test');
    expect(select(registry.servers, none, false)?.name).toBe('c');
  });

  it('when a request is hedged, then the hedge does not take a turn, so first tries still take turns', () => {
    const registry = registryWith(['a', 'b']);
    const select = createLeastOutstanding(registry);
    expect(select(registry.servers, none, false)?.name).toBe('a');
    expect(select(registry.servers, new Set(['http://a:5000']), false, false)?.name).toBe('b');
    expect(select(registry.servers, none, false)?.name).toBe('b');
  });

  it('when the worker used last is busy, then concurrent requests spread: none gets a second before each has one', () => {
    const registry = registryWith(['a', 'b', 'c']);
    const select = createLeastOutstanding(registry);
    const picks: string[] = [];
    for (let i = 0; i < 6; i++) {
      const server = select(registry.servers, none, false)!;
      registry.begin(server);
      picks.push(server.name);
    }
    expect(picks.slice(0, 3)).toEqual(['a', 'b', 'c']);
    expect(registry.servers.map((s) => s.inFlight)).toEqual([2, 2, 2]);
  });
});

describe('least outstanding with many workers', () => {
  function countingRegistry(count: number) {
    const registry = new Registry({ maxServers: count, maxInFlightPerServer: 8 });
    for (let i = 0; i < count; i++) registry.register(`http://w${i}:5000`, `w${i}`, 2);
    let looked = 0;
    const hasRoom = registry.hasRoom.bind(registry);
    registry.hasRoom = (entry, heavy) => {
      looked += 1;
      return hasRoom(entry, heavy);
    };
    return { registry, looked: () => looked };
  }

  it('when 1,000 workers are registered, then a pick looks at a handful of them, as with 2', () => {
    for (const count of [2, 1000]) {
      const { registry, looked } = countingRegistry(count);
      const select = createLeastOutstanding(registry);
      for (let i = 0; i < 100; i++) {
        const server = select(registry.servers, none, false)!;
        registry.begin(server);
        registry.end(server);
      }
      expect(looked() / 100).toBeLessThanOrEqual(6);
    }
  });

  it('when 1,000 workers take concurrent requests, then the load stays even: none gets a third before most have one', () => {
    const { registry } = countingRegistry(1000);
    const select = createLeastOutstanding(registry);
    for (let i = 0; i < 1000; i++) registry.begin(select(registry.servers, none, false)!);
    const loads = registry.servers.map((s) => s.inFlight);
    expect(Math.max(...loads)).toBeLessThanOrEqual(2);
    expect(loads.filter((n) => n === 0).length).toBeLessThan(100);
  });

  it('when a worker among many is stalled, then it gets a request only in its turn and then no more', () => {
    const { registry } = countingRegistry(50);
    const stalled = registry.servers[10]!;
    const select = createLeastOutstanding(registry);
    let toStalled = 0;
    for (let i = 0; i < 500; i++) {
      const server = select(registry.servers, none, false)!;
      if (server === stalled) {
        toStalled += 1;
        registry.begin(server); // never answers
      }
    }
    expect(toStalled).toBe(1);
  });
});
