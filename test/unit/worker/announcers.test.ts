import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Announcer, AnnouncerOptions } from '../../../src/worker/announce.js';
import { createAnnouncers } from '../../../src/worker/announcers.js';
import { silentLogger } from '../../support/logger.js';

const INTERVAL = 10_000;

/** Records which balancers are being announced to, and what each was told. */
function setup(names: Record<string, string[] | Error>) {
  const live = new Set<string>();
  const events: string[] = [];
  const createOne = (options: AnnouncerOptions): Announcer => {
    const url = options.balancerUrl;
    return {
      registered: Promise.resolve(),
      start: () => void (live.add(url), events.push(`start ${url}`)),
      stop: () => void (live.delete(url), events.push(`stop ${url}`)),
      deregister: async () => void events.push(`deregister ${url}`),
    };
  };
  const lookup = vi.fn(async (hostname: string) => {
    const answer = names[hostname];
    if (answer instanceof Error) throw answer;
    return answer ?? [];
  });
  const announcers = (balancerUrls: string[]) =>
    createAnnouncers({
      balancerUrls,
      lookup,
      createOne,
      advertisedUrl: 'http://10.0.0.7:5000',
      name: 'w',
      registrationToken: undefined,
      logger: silentLogger,
      intervalMs: INTERVAL,
      retryMaxMs: 1_000,
    });
  return { live, events, lookup, announcers };
}

describe('announcing to several balancers', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('when BALANCER_URL lists two balancers, then the worker announces to both', async () => {
    const { live, announcers } = setup({ a: ['10.0.0.1'], b: ['10.0.0.2'] });
    const announcer = announcers(['http://a:9000', 'http://b:9000']);
    announcer.start();
    await vi.advanceTimersByTimeAsync(0);
    expect([...live].sort()).toEqual(['http://a:9000', 'http://b:9000']);
    announcer.stop();
  });

  it('when a name stands for several balancers, then each address is announced to, and one added later within an interval', async () => {
    const names: Record<string, string[]> = { balancers: ['10.0.0.1', '10.0.0.2'] };
    const { live, announcers } = setup(names);
    const announcer = announcers(['http://balancers:9000']);
    announcer.start();
    await vi.advanceTimersByTimeAsync(0);
    expect([...live].sort()).toEqual(['http://10.0.0.1:9000', 'http://10.0.0.2:9000']);
    names.balancers = ['10.0.0.1', '10.0.0.2', '10.0.0.3'];
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect([...live].sort()).toEqual(['http://10.0.0.1:9000', 'http://10.0.0.2:9000', 'http://10.0.0.3:9000']);
    announcer.stop();
  });

  it('when a balancer leaves the name, then the worker stops announcing to it and keeps the others', async () => {
    const names: Record<string, string[]> = { balancers: ['10.0.0.1', '10.0.0.2', '10.0.0.3'] };
    const { live, events, announcers } = setup(names);
    const announcer = announcers(['http://balancers:9000']);
    announcer.start();
    await vi.advanceTimersByTimeAsync(0);
    names.balancers = ['10.0.0.1', '10.0.0.3'];
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect([...live].sort()).toEqual(['http://10.0.0.1:9000', 'http://10.0.0.3:9000']);
    expect(events.filter((e) => e.startsWith('start'))).toHaveLength(3);
    announcer.stop();
  });

  it('when the name does not resolve yet, then it is announced to by name, so its retries and warnings are the usual ones', async () => {
    const { live, announcers } = setup({ balancer: new Error('getaddrinfo ENOTFOUND balancer') });
    const announcer = announcers(['http://balancer:9000']);
    announcer.start();
    await vi.advanceTimersByTimeAsync(0);
    expect([...live]).toEqual(['http://balancer:9000']);
    announcer.stop();
  });

  it('when a name has IPv4 and IPv6 addresses, then only the IPv4 ones are announced to', async () => {
    const { live, announcers } = setup({ localhost: ['127.0.0.1', '::1'], balancers: ['10.0.0.1', 'fd00::1', '10.0.0.2'], v6: ['fd00::1', 'fd00::2'] });
    const announcer = announcers(['http://localhost:9000', 'http://balancers:9000', 'http://v6:9000']);
    announcer.start();
    await vi.advanceTimersByTimeAsync(0);
    expect([...live].sort()).toEqual(['http://10.0.0.1:9000', 'http://10.0.0.2:9000', 'http://[fd00::1]:9000', 'http://[fd00::2]:9000', 'http://localhost:9000']);
    announcer.stop();
  });

  it('when an https name stands for several balancers, then it is announced to by name, which its certificate is for', async () => {
    const { live, announcers } = setup({ balancers: ['10.0.0.1', '10.0.0.2'] });
    const announcer = announcers(['https://balancers:9443']);
    announcer.start();
    await vi.advanceTimersByTimeAsync(0);
    expect([...live]).toEqual(['https://balancers:9443']);
    announcer.stop();
  });

  it('when a lookup fails once, then the worker keeps announcing to the balancers the name stood for', async () => {
    const names: Record<string, string[] | Error> = { balancers: ['10.0.0.1', '10.0.0.2'] };
    const { live, events, announcers } = setup(names);
    const announcer = announcers(['http://balancers:9000']);
    announcer.start();
    await vi.advanceTimersByTimeAsync(0);
    names.balancers = Object.assign(new Error('getaddrinfo EAI_AGAIN balancers'), { code: 'EAI_AGAIN' });
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect([...live].sort()).toEqual(['http://10.0.0.1:9000', 'http://10.0.0.2:9000']);
    expect(events.filter((e) => e.startsWith('stop'))).toEqual([]);
    announcer.stop();
  });

  it('when a name stops existing, then the addresses it stood for are dropped and it is announced to by name', async () => {
    const names: Record<string, string[] | Error> = { balancers: ['10.0.0.1', '10.0.0.2'] };
    const { live, announcers } = setup(names);
    const announcer = announcers(['http://balancers:9000']);
    announcer.start();
    await vi.advanceTimersByTimeAsync(0);
    names.balancers = Object.assign(new Error('getaddrinfo ENOTFOUND balancers'), { code: 'ENOTFOUND' });
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect([...live]).toEqual(['http://balancers:9000']);
    announcer.stop();
  });

  it('when a lookup hangs as the worker drains, then deregistering does not wait for it', async () => {
    const { announcers, lookup } = setup({ balancers: ['10.0.0.1', '10.0.0.2'] });
    const announcer = announcers(['http://balancers:9000']);
    announcer.start();
    await vi.advanceTimersByTimeAsync(0);
    lookup.mockImplementation(() => new Promise<string[]>(() => {}));
    await vi.advanceTimersByTimeAsync(INTERVAL);
    announcer.stop();
    let done = false;
    void announcer.deregister().then(() => (done = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(true);
  });

  it('when the worker drains, then it deregisters from every balancer and announces to none', async () => {
    const { live, events, announcers } = setup({ balancers: ['10.0.0.1', '10.0.0.2'] });
    const announcer = announcers(['http://balancers:9000', 'http://127.0.0.1:9001']);
    announcer.start();
    await vi.advanceTimersByTimeAsync(0);
    announcer.stop();
    await announcer.deregister();
    expect(live.size).toBe(0);
    expect(events.filter((e) => e.startsWith('deregister')).sort()).toEqual([
      'deregister http://10.0.0.1:9000',
      'deregister http://10.0.0.2:9000',
      'deregister http://127.0.0.1:9001',
    ]);
    await vi.advanceTimersByTimeAsync(INTERVAL * 3);
    expect(events.filter((e) => e.startsWith('start'))).toHaveLength(3);
  });
});
