import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { createAnnouncer, type Announcer, type AnnouncerOptions } from './announce.js';

export interface AnnouncersOptions extends Omit<AnnouncerOptions, 'balancerUrl'> {
  /** BALANCER_URL: one or more balancers, each a host that may stand for several. */
  balancerUrls: readonly string[];
  /** Every address a host name stands for now. */
  lookup?: (hostname: string) => Promise<string[]>;
  /** One balancer's announcer (tests pass a fake). */
  createOne?: (options: AnnouncerOptions) => Announcer;
}

const lookupAll = async (hostname: string): Promise<string[]> =>
  (await dnsLookup(hostname, { all: true })).map((entry) => entry.address);

/**
 * Announces the worker to every balancer: each URL of BALANCER_URL, and each address its host
 * name stands for (its IPv4 addresses, when it has some; an https name is used as it is, one
 * balancer), looked up again every announce interval, so that a balancer added behind a
 * name (a headless Service in Kubernetes, a scaled compose service) gets the workers within
 * one interval and one that is gone stops being announced to. A name that stands for one
 * address (or cannot be looked up yet) is announced to by name, as given; each balancer has
 * its own announcer with its own backoff, so a dead one does not hold up the others.
 */
export function createAnnouncers({
  balancerUrls,
  lookup = lookupAll,
  createOne = createAnnouncer,
  ...common
}: AnnouncersOptions): Announcer {
  const announcers = new Map<string, Announcer>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;
  let markRegistered: () => void = () => {};
  const registered = new Promise<void>((resolve) => (markRegistered = resolve));

  /** The last addresses each name stood for, kept through a lookup that got no answer. */
  const lastKnown = new Map<string, string[]>();

  const expand = async (origin: string): Promise<string[]> => {
    const url = new URL(origin);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    // TLS checks the certificate against the name: an address in its place would fail it.
    if (isIP(host) !== 0 || url.protocol === 'https:') return [origin];
    let addresses: string[];
    try {
      const all = [...new Set(await lookup(host))];
      // One family: a balancer on 0.0.0.0 (the default) has no IPv6 address to announce to.
      const v4 = all.filter((address) => isIP(address) === 4);
      addresses = v4.length > 0 ? v4 : all;
    } catch (err) {
      // A DNS server that did not answer (EAI_AGAIN) keeps the balancers known. A name that does
      // not exist (any more), or never resolved, is announced to by name: its announcer retries
      // and says why, and addresses it stood for, which may be other pods' by now, are dropped.
      const known = (err as { code?: unknown }).code === 'EAI_AGAIN' ? lastKnown.get(origin) : undefined;
      return known ?? [origin];
    }
    const expanded =
      addresses.length <= 1
        ? [origin]
        : addresses.map((address) => {
            const each = new URL(origin);
            each.hostname = isIP(address) === 6 ? `[${address}]` : address;
            return each.origin;
          });
    lastKnown.set(origin, expanded);
    return expanded;
  };

  const refresh = async (): Promise<void> => {
    const wanted = new Set((await Promise.all(balancerUrls.map(expand))).flat());
    if (stopped) return;
    for (const [url, announcer] of announcers) {
      if (wanted.has(url)) continue;
      announcer.stop();
      announcers.delete(url);
      common.logger.info({ balancer: url }, 'balancer no longer listed; no longer announcing to it');
    }
    for (const url of wanted) {
      if (announcers.has(url)) continue;
      const announcer = createOne({ ...common, balancerUrl: url });
      announcers.set(url, announcer);
      void announcer.registered.then(markRegistered);
      announcer.start();
    }
  };

  const loop = (): void => {
    void refresh().finally(() => {
      if (!stopped) timer = setTimeout(loop, common.intervalMs);
    });
  };

  return {
    registered,
    start() {
      if (!stopped) return;
      stopped = false;
      loop();
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      for (const announcer of announcers.values()) announcer.stop();
    },
    async deregister() {
      // stop() came first: a lookup still on its way starts nothing, so it is not waited for.
      await Promise.all([...announcers.values()].map((announcer) => announcer.deregister()));
    },
  };
}
