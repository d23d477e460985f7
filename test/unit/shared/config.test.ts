import { describe, expect, it } from 'vitest';
import { loadBalancerConfig } from '../../../src/balancer/config.js';
import { ConfigError } from '../../../src/shared/env.js';
import { loadWorkerConfig } from '../../../src/worker/config.js';

describe('configuration', () => {
  it('when nothing is set, then the balancer gets defaults that work for the local stack', () => {
    expect(loadBalancerConfig({})).toMatchObject({ port: 9000, maxDigits: 2000, registrationToken: undefined });
  });

  it('when nothing is set, then the worker listens on 5000 and finds the balancer on 9000', () => {
    expect(loadWorkerConfig({})).toMatchObject({ port: 5000, balancerUrls: ['http://127.0.0.1:9000'], advertisedUrl: undefined });
  });

  it('when values are set, then they are read and normalised', () => {
    const config = loadWorkerConfig({ PORT: '5001', SERVER_NAME: 'server1', ADVERTISED_URL: 'http://server1:5000/', MAX_DIGITS: ' 50 ' });
    expect(config).toMatchObject({ port: 5001, name: 'server1', advertisedUrl: 'http://server1:5000', maxDigits: 50 });
  });

  it('when several values are bad, then one error names every bad variable', () => {
    try {
      loadBalancerConfig({ PORT: '70000', REQUEST_TIMEOUT_MS: 'soon', LOG_LEVEL: 'loud', REGISTRATION_TOKEN: 'short' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      for (const name of ['PORT', 'REQUEST_TIMEOUT_MS', 'LOG_LEVEL', 'REGISTRATION_TOKEN']) expect(problems).toContain(name);
    }
  });

  it('when a time is longer than a timer can wait, then it is refused instead of firing at once', () => {
    expect(loadBalancerConfig({ REQUEST_TIMEOUT_MS: '2147483647' }).requestTimeoutMs).toBe(2_147_483_647);
    expect(() => loadBalancerConfig({ REQUEST_TIMEOUT_MS: '3000000000', QUEUE_TIMEOUT_MS: '2147483648' })).toThrowError(
      /REQUEST_TIMEOUT_MS: must be between 10 and 2147483647, got 3000000000\n.*QUEUE_TIMEOUT_MS: must be between 0 and 2147483647/,
    );
    expect(() => loadWorkerConfig({ ANNOUNCE_INTERVAL_MS: '9999999999' })).toThrowError(/ANNOUNCE_INTERVAL_MS: must be between 50 and 2147483647/);
  });

  it('when HEDGE_AFTER_MS is a number or auto, then it is taken; anything else is refused with what is allowed', () => {
    expect(loadBalancerConfig({}).hedgeAfterMs).toBe(0);
    expect(loadBalancerConfig({ HEDGE_AFTER_MS: '3' }).hedgeAfterMs).toBe(3);
    expect(loadBalancerConfig({ HEDGE_AFTER_MS: 'auto' }).hedgeAfterMs).toBe('auto');
    expect(() => loadBalancerConfig({ HEDGE_AFTER_MS: 'soon' })).toThrow(/HEDGE_AFTER_MS: expected a whole number or auto, got "soon"/);
    expect(() => loadBalancerConfig({ HEDGE_AFTER_MS: '-1' })).toThrow(/HEDGE_AFTER_MS: must be between 0 and 60000/);
  });

  it.each(['server1:5000', 'ftp://server1', 'http://u:p@server1:5000', 'http://server1:5000/path'])(
    'when BALANCER_URL is %j, then the worker refuses to start',
    (url) => {
      expect(() => loadWorkerConfig({ BALANCER_URL: url })).toThrow(/BALANCER_URL/);
    },
  );
});
