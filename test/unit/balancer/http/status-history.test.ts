import { describe, expect, it } from 'vitest';
import { StatusHistory } from '../../../../src/balancer/http/status-history.js';
import type { ServerEntry } from '../../../../src/balancer/workers/registry.js';

function clock(start = 1_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('status history', () => {
  it('when a server answers, then each finished second since the first answer is a point with its rate, p50 and p99, quiet seconds 0', () => {
    const time = clock();
    const history = new StatusHistory({ seconds: 5, now: time.now });
    for (let i = 1; i <= 100; i++) history.answered('server1', i);
    time.advance(2_000);
    history.answered('server1', 5);
    const points = history.view().servers.server1!;
    expect(points).toHaveLength(2);
    expect(points.at(-2)).toMatchObject({ rps: 100, p50_ms: 51, p99_ms: 100 });
    expect(points.at(-1)).toMatchObject({ rps: 0, p50_ms: null, p99_ms: null });
  });

  it('when the window is full, then the charts hold its last seconds only', () => {
    const time = clock();
    const history = new StatusHistory({ seconds: 5, now: time.now });
    for (let s = 0; s < 20; s++) {
      history.answered('server1', 1);
      time.advance(1_000);
    }
    const points = history.view().servers.server1!;
    expect(points).toHaveLength(4);
    expect(points.every((p) => p.rps === 1)).toBe(true);
  });

  it('when the page asks in the middle of a second, then that second is drawn once it is over, and only once', () => {
    const time = clock();
    const history = new StatusHistory({ seconds: 10, now: time.now });
    history.answered('server1', 1);
    history.view();
    time.advance(1_000);
    expect(history.view().servers.server1!.filter((p) => p.rps > 0)).toHaveLength(1);
    history.answered('server1', 2);
    time.advance(1_000);
    const points = history.view().servers.server1!;
    expect(points.filter((p) => p.rps === 1)).toHaveLength(2);
    expect(new Set(points.map((p) => p.t)).size).toBe(points.length);
  });

  it('when more servers answer than can be charted, then the first ones to answer are charted and the others only counted elsewhere', () => {
    const time = clock();
    const history = new StatusHistory({ servers: 2, now: time.now });
    for (const name of ['server1', 'server2', 'server3']) history.answered(name, 1);
    time.advance(1_000);
    const view = history.view();
    expect(Object.keys(view.servers)).toEqual(['server1', 'server2']);
    expect(view.max_servers).toBe(2);
  });

  it('when a charted server is removed, then its chart goes and the next server to answer is charted', () => {
    const time = clock();
    const history = new StatusHistory({ servers: 1, now: time.now });
    history.answered('server1', 1);
    history.transition({ server: { name: 'server1' } as ServerEntry, from: 'active', to: 'removed', reason: 'server_down' });
    history.answered('server2', 1);
    time.advance(1_000);
    expect(Object.keys(history.view().servers)).toEqual(['server2']);
  });

  it('when servers change state, then the timeline lists the latest changes, newest first, with their reasons', () => {
    const history = new StatusHistory({ events: 2 });
    const server = { name: 'server2' } as ServerEntry;
    history.transition({ server, from: null, to: 'active', reason: 'registered' });
    history.transition({ server, from: 'active', to: 'inactive', reason: 'ECONNREFUSED' });
    history.transition({ server, from: 'inactive', to: 'active', reason: 'health check passed' });
    expect(history.view().timeline.map((e) => [e.from, e.to, e.reason])).toEqual([
      ['inactive', 'active', 'health check passed'],
      ['active', 'inactive', 'ECONNREFUSED'],
    ]);
  });
});
