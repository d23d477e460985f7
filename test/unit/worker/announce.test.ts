import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAnnouncer, type PostJson } from '../../../src/worker/announce.js';
import { AxiosError, AxiosHeaders, type AxiosResponse } from 'axios';
import { captureLogger, silentLogger } from '../../support/logger.js';

function setup({ failFirst = 0, token, intervalMs = 10_000 }: { failFirst?: number; token?: string; intervalMs?: number } = {}) {
  const calls: Array<{ url: string; body: unknown; headers: Record<string, string>; at: number }> = [];
  let remainingFailures = failFirst;
  const post: PostJson = async (url, body, headers) => {
    calls.push({ url, body, headers, at: Date.now() });
    if (remainingFailures > 0) {
      remainingFailures -= 1;
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    }
    return {};
  };
  const announcer = createAnnouncer({
    balancerUrl: 'http://balancer:9000',
    advertisedUrl: 'http://server1:5000',
    name: 'server1',
    registrationToken: token,
    logger: silentLogger,
    intervalMs,
    retryMaxMs: 2_000,
    retryBaseMs: 100,
    post,
    random: () => 1,
  });
  return { announcer, calls };
}

describe('announcer', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('when started, then it registers its advertised address and name at once', async () => {
    const { announcer, calls } = setup();
    announcer.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toEqual([
      { url: 'http://balancer:9000/server_up', body: { address: 'http://server1:5000', name: 'server1' }, headers: {}, at: 0 },
    ]);
    announcer.stop();
  });

  it('when the balancer is not up yet, then it retries with capped exponential backoff', async () => {
    const { announcer, calls } = setup({ failFirst: 7 });
    announcer.start();
    await vi.advanceTimersByTimeAsync(20_000);
    const gaps = calls.slice(1, 9).map((c, i) => c.at - calls[i]!.at);
    expect(gaps).toEqual([100, 200, 400, 800, 1600, 2000, 2000, 10_000]);
    await expect(announcer.registered).resolves.toBeUndefined();
    announcer.stop();
  });

  it('when the announce interval is shorter than the retry cap, then retries wait no longer than the interval, so a balancer that comes back has the worker within one announce period', async () => {
    const { announcer, calls } = setup({ failFirst: 6, intervalMs: 500 });
    announcer.start();
    await vi.advanceTimersByTimeAsync(5_000);
    const gaps = calls.slice(1, 8).map((c, i) => c.at - calls[i]!.at);
    expect(gaps).toEqual([100, 200, 400, 500, 500, 500, 500]);
    announcer.stop();
  });

  it('when registered, then it re-announces every interval so a restarted balancer learns it back', async () => {
    const { announcer, calls } = setup();
    announcer.start();
    await vi.advanceTimersByTimeAsync(35_000);
    expect(calls.map((c) => c.at)).toEqual([0, 10_000, 20_000, 30_000]);
    announcer.stop();
    await vi.advanceTimersByTimeAsync(35_000);
    expect(calls).toHaveLength(4);
  });

  it('when a token is configured, then it is sent as a bearer token', async () => {
    const { announcer, calls } = setup({ token: 'sixteen-chars-or-more' });
    announcer.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls[0]?.headers).toEqual({ Authorization: 'Bearer sixteen-chars-or-more' });
    announcer.stop();
  });

  it('when the balancer refuses the announcement, then the log says what the balancer said', async () => {
    const { logger, records } = captureLogger();
    const data = { error: 'unauthorized', message: 'a valid bearer token is required (REGISTRATION_TOKEN)' };
    const response = { status: 401, statusText: 'Unauthorized', data, headers: {}, config: { headers: new AxiosHeaders() } } as AxiosResponse;
    const post: PostJson = async () => {
      throw new AxiosError('Request failed with status code 401', 'ERR_BAD_REQUEST', undefined, undefined, response);
    };
    const announcer = createAnnouncer({ balancerUrl: 'http://balancer:9000', advertisedUrl: 'http://server1:5000', name: 'server1', registrationToken: undefined, logger, intervalMs: 10_000, retryMaxMs: 2_000, post });
    announcer.start();
    await vi.advanceTimersByTimeAsync(0);
    announcer.stop();
    expect(records.find((r) => r.msg === 'balancer did not accept the announcement')).toMatchObject({
      reason: { status: 401, error: 'unauthorized', message: 'a valid bearer token is required (REGISTRATION_TOKEN)' },
    });
  });

  it('when deregistering fails, then it does not throw', async () => {
    const { announcer, calls } = setup({ failFirst: 1 });
    await expect(announcer.deregister()).resolves.toBeUndefined();
    expect(calls[0]?.url).toBe('http://balancer:9000/server_down');
  });
});
