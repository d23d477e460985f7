import { describe, expect, it } from 'vitest';
import { createWorkerJudge, errorForFailures, judgeResponse } from '../../../../src/balancer/routing/judge.js';
import type { ProbeResult } from '../../../../src/balancer/upstream/client.js';
import { Registry } from '../../../../src/balancer/workers/registry.js';

const reply = (status: number, contentType: string | undefined) => ({ ok: true as const, status, contentType, retryAfter: undefined, body: Buffer.alloc(0) });

describe('judging a worker reply', () => {
  it.each([
    [200, 'application/json; charset=utf-8', undefined],
    [400, 'application/json; charset=utf-8', undefined],
    [404, 'text/html', 'bad_response'],
    [404, 'application/json', undefined],
    [200, 'text/html', 'bad_response'],
    [200, undefined, 'bad_response'],
    [302, 'application/json', 'bad_response'],
    [500, 'application/json', 'server_error'],
    [503, 'application/json', 'server_error'],
  ])('when a worker answers %i with %s, then the failure is %s', (status, type, kind) => {
    expect(judgeResponse(reply(status, type))?.kind).toBe(kind);
  });

  it('when every try timed out, then the client gets 504 upstream_timeout', () => {
    const error = errorForFailures([{ kind: 'timeout', message: '' }, { kind: 'timeout', message: '' }]);
    expect([error.status, error.code]).toEqual([504, 'upstream_timeout']);
  });

  it('when any try failed otherwise, then the client gets 502 upstream_failed', () => {
    const error = errorForFailures([{ kind: 'timeout', message: '' }, { kind: 'connection', message: '' }]);
    expect([error.status, error.code]).toEqual([502, 'upstream_failed']);
  });
});

describe('what a failed try says about its worker', () => {
  const address = 'http://127.0.0.1:5001';
  const setUp = (probeResult: ProbeResult = { ok: true }) => {
    let clock = 1_000;
    const registry = new Registry({ maxServers: 8, now: () => clock });
    const server = registry.register(address, 'server1');
    const judge = createWorkerJudge({ registry, probe: () => Promise.resolve(probeResult) });
    const tick = () => (clock += 1_000);
    return { registry, server, judge, tick };
  };
  /** The worker went out and came back (it announced itself) after `sentSince`. */
  const outAndBack = ({ registry, server, tick }: ReturnType<typeof setUp>): void => {
    registry.recordFailure(server, 'ECONNRESET', { immediate: true });
    tick();
    registry.register(address, 'server1');
  };
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('when a light try sent before the worker came back times out and its probe passes, then the worker stays active', async () => {
    const setup = setUp();
    const sentSince = setup.server.activeSince;
    outAndBack(setup);
    setup.judge(setup.server, { kind: 'timeout', message: 'no answer within 30000 ms' }, false, sentSince);
    await settle();
    expect(setup.server.status).toBe('active');
  });

  it.each(['refused', 'connection', 'server_error'] as const)('when a try sent before the worker came back fails (%s), then the worker stays active', (kind) => {
    const setup = setUp();
    const sentSince = setup.server.activeSince;
    outAndBack(setup);
    setup.judge(setup.server, { kind, message: 'x' }, false, sentSince);
    expect(setup.server.status).toBe('active');
  });

  it('when a try sent before the worker came back times out and its probe fails now, then the worker is out', async () => {
    const setup = setUp({ ok: false, message: 'health check: no answer within 2000 ms' });
    const sentSince = setup.server.activeSince;
    outAndBack(setup);
    setup.judge(setup.server, { kind: 'timeout', message: 'no answer within 30000 ms' }, false, sentSince);
    await settle();
    expect(setup.server.status).toBe('inactive');
  });

  it.each(['refused', 'server_error'] as const)('when a try sent in the current active spell fails (%s), then the worker is out', (kind) => {
    const setup = setUp();
    setup.judge(setup.server, { kind, message: 'x' }, false, setup.server.activeSince);
    expect(setup.server.status).toBe('inactive');
  });

  it('when a light try sent in the current active spell times out and its probe passes, then the worker is out', async () => {
    const setup = setUp();
    setup.judge(setup.server, { kind: 'timeout', message: 'no answer within 30000 ms' }, false, setup.server.activeSince);
    await settle();
    expect(setup.server.status).toBe('inactive');
  });
});

describe('a light check that timed out', () => {
  /** One worker, and a judge whose probes answer with `probe` (never, by default: a frozen worker). */
  const judged = (probe: () => Promise<ProbeResult> = () => new Promise<ProbeResult>(() => {})) => {
    const registry = new Registry({ maxServers: 8 });
    const server = registry.register('http://127.0.0.1:5001', 'server1');
    return { registry, server, judge: createWorkerJudge({ registry, probe }) };
  };

  it('when its worker health check is still being asked, then the worker already gets no new request', () => {
    // A frozen worker: its probe takes HEALTH_CHECK_TIMEOUT_MS to fail.
    const { registry, server, judge } = judged();
    judge(server, { kind: 'timeout', message: 'no answer within 30000 ms' }, false, server.activeSince);
    expect(server.status).toBe('inactive');
    expect(registry.hasRoom(server, false)).toBe(false);
    // Its announcement, before the probe has answered, does not put it back either.
    registry.register('http://127.0.0.1:5001', 'server1');
    expect(server.status).toBe('inactive');
  });

  it('when a heavy check timed out, then the worker stays in rotation while its health check is asked', () => {
    const { server, judge } = judged();
    judge(server, { kind: 'timeout', message: 'no answer within 30000 ms' }, true, server.activeSince);
    expect(server.status).toBe('active');
  });

  it('when the health check passes, then the worker is out and its last error says so', async () => {
    const { server, judge } = judged(() => Promise.resolve<ProbeResult>({ ok: true }));
    judge(server, { kind: 'timeout', message: 'no answer within 200 ms' }, false, server.activeSince);
    await new Promise((resolve) => setImmediate(resolve));
    expect(server.status).toBe('inactive');
    expect(server.lastError).toBe('no answer within 200 ms to a light check, though its health check passed');
  });
});
