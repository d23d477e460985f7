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
