import { describe, expect, it } from 'vitest';
import { HttpError } from '../../../../src/shared/http-error.js';
import { describeServer } from '../../../../src/balancer/http/server-view.js';
import { Registry, type Transition } from '../../../../src/balancer/workers/registry.js';

function setup(maxServers = 10) {
  const transitions: Array<Pick<Transition, 'from' | 'to' | 'reason'> & { name: string }> = [];
  let clock = 1_000;
  const registry = new Registry({
    maxServers,
    now: () => clock,
    onTransition: ({ server, from, to, reason }) => transitions.push({ name: server.name, from, to, reason }),
  });
  return { registry, transitions, tick: (ms: number) => (clock += ms) };
}

describe('Registry', () => {
  it('when a worker registers, then it is active and listed once', () => {
    const { registry, transitions } = setup();
    registry.register('http://server1:5000', 'server1');
    expect(registry.servers.map((s) => [s.name, s.status])).toEqual([['server1', 'active']]);
    expect(transitions).toEqual([{ name: 'server1', from: null, to: 'active', reason: 'registered' }]);
  });

  it('when a worker registers twice, then it is still one entry and nothing is logged again', () => {
    const { registry, transitions } = setup();
    const first = registry.register('http://server1:5000', 'server1');
    const second = registry.register('http://server1:5000', 'server1');
    expect(second).toBe(first);
    expect(registry.servers).toHaveLength(1);
    expect(transitions).toHaveLength(1);
  });

  it('when a failed worker announces itself again, then it is active again', () => {
    const { registry, transitions } = setup();
    const entry = registry.register('http://server1:5000', 'server1');
    registry.markFailed(entry, 'ECONNREFUSED');
    registry.register('http://server1:5000', 'server1');
    expect(entry.status).toBe('active');
    expect(transitions.map((t) => t.to)).toEqual(['active', 'inactive', 'active']);
  });

  it('when a worker fails, then the failure is counted and remembered', () => {
    const { registry } = setup();
    const entry = registry.register('http://server1:5000', 'server1');
    registry.markFailed(entry, 'timeout');
    expect(describeServer(entry)).toMatchObject({ status: 'inactive', failures: 1, last_error: 'timeout' });
  });

  it('when a worker deregisters, then it is draining; an unknown address is a 404', () => {
    const { registry } = setup();
    registry.register('http://server1:5000', 'server1');
    expect(registry.drain('http://server1:5000').status).toBe('draining');
    expect(() => registry.drain('http://nobody:1')).toThrow(HttpError);
  });

  it('when a health probe passes, then an inactive worker is back but a draining one stays out', () => {
    const { registry } = setup();
    const a = registry.register('http://a:1', 'a');
    const b = registry.register('http://b:1', 'b');
    registry.markFailed(a, 'reset');
    registry.drain('http://b:1');
    registry.markHealthy(a);
    registry.markHealthy(b);
    expect([a.status, b.status]).toEqual(['active', 'draining']);
    expect(registry.countActive()).toBe(1);
  });

  it('when another worker announces itself at a known address (a reused pod IP), then it replaces the one that was there', () => {
    const { registry, transitions } = setup();
    const old = registry.register('http://10.0.0.5:5000', 'worker-abc');
    registry.markFailed(old, 'ECONNREFUSED');
    const fresh = registry.register('http://10.0.0.5:5000', 'worker-xyz', 2);
    expect(registry.servers).toEqual([fresh]);
    expect(fresh).toMatchObject({ name: 'worker-xyz', status: 'active', limit: 2, failures: 0 });
    expect(transitions.slice(2)).toEqual([
      { name: 'worker-abc', from: 'inactive', to: 'removed', reason: 'worker-xyz announced itself at its address' },
      { name: 'worker-xyz', from: null, to: 'active', reason: 'registered' },
    ]);
  });

  it('when another worker takes over an address, then it is in place before either change is told (no moment without a worker there)', () => {
    const seen: string[] = [];
    const registry: Registry = new Registry({
      maxServers: 10,
      onTransition: ({ server, to }) => seen.push(`${server.name} ${to}: ${registry.servers.map((s) => s.name).join(',')}`),
    });
    registry.register('http://10.0.0.5:5000', 'worker-abc');
    registry.register('http://10.0.0.5:5000', 'worker-xyz');
    expect(seen.slice(1)).toEqual(['worker-abc removed: worker-xyz', 'worker-xyz active: worker-xyz']);
  });

  it('when another worker announces itself at an address with requests in flight, then the old entry is sent nothing new and is replaced once they end', async () => {
    const { registry, transitions } = setup();
    const old = registry.register('http://10.0.0.5:5000', 'worker-abc');
    registry.begin(old);
    registry.begin(old);
    expect(registry.register('http://10.0.0.5:5000', 'worker-xyz', 3)).toBe(old);
    // Steady traffic would otherwise keep something in flight there for ever.
    expect(registry.hasRoom(old, false)).toBe(false);
    registry.end(old);
    registry.end(old);
    // Not in the turn the last request ended in: its answer is still being counted under the old name.
    expect(registry.servers.map((s) => s.name)).toEqual(['worker-abc']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(registry.servers.map((s) => [s.name, s.limit, registry.hasRoom(s, false)])).toEqual([['worker-xyz', 3, true]]);
    expect(transitions.slice(1).map((t) => `${t.name} ${t.to}`)).toEqual(['worker-abc removed', 'worker-xyz active']);
  });

  it('when the worker waiting to take an address over deregisters itself, then it takes the place draining', async () => {
    const { registry } = setup();
    const old = registry.register('http://10.0.0.5:5000', 'worker-abc');
    registry.begin(old);
    registry.register('http://10.0.0.5:5000', 'worker-xyz');
    // The new pod at that address shuts down before the gone one's last request has ended.
    expect(registry.drain('http://10.0.0.5:5000', 'worker-xyz')).toBe(old);
    registry.end(old);
    await new Promise((resolve) => setImmediate(resolve));
    expect(registry.servers.map((s) => [s.name, s.status])).toEqual([['worker-xyz', 'draining']]);
  });

  it('when a worker whose address another has taken deregisters late, then the one there now is left active', () => {
    const { registry } = setup();
    registry.register('http://10.0.0.5:5000', 'worker-abc');
    const fresh = registry.register('http://10.0.0.5:5000', 'worker-xyz');
    expect(() => registry.drain('http://10.0.0.5:5000', 'worker-abc')).toThrow(/worker-abc is not registered at http:\/\/10\.0\.0\.5:5000; worker-xyz is/);
    expect(fresh.status).toBe('active');
    // Without a name (an operator's drain), whoever is at the address drains.
    expect(registry.drain('http://10.0.0.5:5000').status).toBe('draining');
  });

  it('when a worker out for a fault its health check hides announces itself, then it stays out until it answers a light check', () => {
    const { registry } = setup();
    const a = registry.register('http://a:1', 'a');
    registry.markFailed(a, 'no answer within 200 ms to a light check, though its health check passed');
    a.lightProbe = true;
    registry.register('http://a:1', 'a');
    registry.markHealthy(a);
    expect(a.status).toBe('inactive');
    registry.markHealthy(a, { light: true });
    expect(a).toMatchObject({ status: 'active', lightProbe: false });
  });

  it('when a worker is taken out after it was replaced or forgotten (a late probe or failure), then nothing is told', async () => {
    const { registry, transitions } = setup();
    const replaced = registry.register('http://10.0.0.5:5000', 'worker-abc');
    registry.begin(replaced);
    registry.register('http://10.0.0.5:5000', 'worker-xyz');
    registry.end(replaced);
    await new Promise((resolve) => setImmediate(resolve));
    const forgotten = registry.register('http://10.0.0.6:5000', 'worker-def');
    registry.remove(forgotten, 'not seen for 300 s');
    const told = transitions.length;
    // judge.ts probes a worker whose try timed out in the background, and acts on its answer.
    registry.markFailed(replaced, 'timed out; health check: ECONNREFUSED');
    registry.recordFailure(forgotten, 'ECONNRESET', { immediate: true });
    expect(transitions.slice(told)).toEqual([]);
  });

  it('when the registry is full, then a new address is refused but a known one still re-registers', () => {
    const { registry } = setup(1);
    registry.register('http://a:1', 'a');
    expect(() => registry.register('http://b:1', 'b')).toThrowError(expect.objectContaining({ code: 'registry_full' }));
    expect(registry.register('http://a:1', 'a').name).toBe('a');
  });

  it('when the registry is full and some workers are gone, then a new one takes the place of the one gone longest', () => {
    const { registry, transitions, tick } = setup(3);
    const [a, b] = ['a', 'b'].map((name) => registry.register(`http://${name}:1`, name));
    registry.register('http://c:1', 'c');
    registry.markFailed(a!, 'refused');
    tick(1_000);
    registry.drain('http://b:1');
    registry.begin(b!); // b still has a request in flight, a has nothing
    registry.register('http://d:1', 'd');
    expect(registry.servers.map((s) => s.name)).toEqual(['b', 'c', 'd']);
    expect(transitions).toContainEqual({ name: 'a', from: 'inactive', to: 'removed', reason: 'made room for a new worker' });
    // b is busy and c, d active: nothing to make room with.
    expect(() => registry.register('http://e:1', 'e')).toThrowError(expect.objectContaining({ code: 'registry_full' }));
  });

  it('when a probe fails after the worker came back or while it drains, then the stale failure is ignored', () => {
    const { registry, tick } = setup();
    const a = registry.register('http://a:1', 'a');
    registry.markFailed(a, 'refused');
    const probedSince = a.activeSince; // a probe starts while a is down ...
    tick(100);
    registry.register('http://a:1', 'a'); // ... a restarts and announces itself ...
    registry.markFailed(a, 'probe timed out', probedSince); // ... and the old probe fails
    const b = registry.register('http://b:1', 'b');
    registry.drain('http://b:1');
    registry.markFailed(b, 'health check answered 503'); // a draining worker's own answer
    expect([a.status, a.failures, b.status, b.failures]).toEqual(['active', 1, 'draining', 0]);
  });

  it('when described, then it has exactly the fields of the contract', () => {
    const { registry } = setup();
    const entry = registry.register('http://a:1', 'a');
    registry.begin(entry);
    registry.recordAnswer(entry, true);
    expect(describeServer(entry)).toEqual({
      name: 'a',
      address: 'http://a:1',
      status: 'active',
      in_flight: 1,
      served: 1,
      failures: 0,
      last_error: null,
      last_seen: new Date(1_000).toISOString(),
    });
  });
});

describe('Registry thresholds and capacity', () => {
  it('when FAILURE_THRESHOLD is 3, then two failures keep a worker and the third takes it out', () => {
    const registry = new Registry({ maxServers: 10, failureThreshold: 3 });
    const a = registry.register('http://a:1', 'a');
    expect(registry.recordFailure(a, 'answered 500')).toBe(false);
    expect(registry.recordFailure(a, 'answered 500')).toBe(false);
    expect(a.status).toBe('active');
    expect(registry.recordFailure(a, 'answered 500')).toBe(true);
    expect(a).toMatchObject({ status: 'inactive', failures: 3 });
  });

  it('when a worker answers between failures, then the count starts over', () => {
    const registry = new Registry({ maxServers: 10, failureThreshold: 2 });
    const a = registry.register('http://a:1', 'a');
    registry.recordFailure(a, 'answered 500');
    registry.recordAnswer(a, true);
    registry.recordFailure(a, 'answered 500');
    expect(a.status).toBe('active');
  });

  it('when the connection is refused, then the worker is out at once whatever the threshold', () => {
    const registry = new Registry({ maxServers: 10, failureThreshold: 5 });
    const a = registry.register('http://a:1', 'a');
    registry.recordFailure(a, 'ECONNREFUSED', { immediate: true });
    expect(a.status).toBe('inactive');
  });

  it('when a worker advertises a capacity, then its limit is that, capped by the balancer', () => {
    const registry = new Registry({ maxServers: 10, maxInFlightPerServer: 8 });
    expect(registry.register('http://a:1', 'a', 4).limit).toBe(4);
    expect(registry.register('http://b:1', 'b', 100).limit).toBe(8);
    expect(registry.register('http://c:1', 'c').limit).toBe(8);
  });
});
