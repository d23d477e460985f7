import { describe, expect, it } from 'vitest';
import { Registry } from '../../../src/balancer/registry.js';
import { createRoundRobin } from '../../../src/balancer/round-robin.js';

function registryWith(...names: string[]): Registry {
  const registry = new Registry({ maxServers: 10 });
  for (const name of names) registry.register(`http://${name}:5000`, name);
  return registry;
}

const none = new Set<string>();

describe('round robin', () => {
  it('when all workers are active, then requests alternate between them', () => {
    const registry = registryWith('a', 'b', 'c');
    const select = createRoundRobin();
    const picks = Array.from({ length: 6 }, () => select(registry.servers, none)?.name);
    expect(picks).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('when a worker is inactive or draining, then it is skipped', () => {
    const registry = registryWith('a', 'b', 'c');
    registry.markFailed(registry.servers[1]!, 'down');
    registry.drain('http://c:5000');
    const select = createRoundRobin();
    expect(Array.from({ length: 3 }, () => select(registry.servers, none)?.name)).toEqual(['a', 'a', 'a']);
  });

  it('when retrying a request, then workers already tried are skipped', () => {
    const registry = registryWith('a', 'b');
    const select = createRoundRobin();
    const first = select(registry.servers, none)!;
    expect(select(registry.servers, new Set([first.address]))?.name).toBe('b');
    expect(select(registry.servers, new Set(['http://a:5000', 'http://b:5000']))).toBeUndefined();
  });

  it('when there is no active worker, then nothing is picked', () => {
    expect(createRoundRobin()(registryWith().servers, none)).toBeUndefined();
  });
});
