import { lookup as dnsLookup } from 'node:dns/promises';
import { parseHostPatterns, plainAddress } from './host-allow-list.js';

export type Lookup = (name: string) => Promise<string[]>;

export interface CallerAllowListOptions {
  /** Resolves a host name to its addresses (all of them: a compose service has one per replica). */
  lookup?: Lookup;
  /** How long a name's addresses are trusted before it is resolved again. */
  ttlMs?: number;
  now?: () => number;
}

/** A compose service's addresses change as containers come and go: look again after this long. */
const DEFAULT_TTL_MS = 2_000;

const resolveAll: Lookup = async (name) => (await dnsLookup(name, { all: true })).map((a) => a.address);

/**
 * Whether the address a request came from (its socket's remote address) belongs to a host in
 * ALLOWED_SERVER_HOSTS: IP addresses and CIDR ranges match as they are, host names match the
 * addresses they resolve to now. This is what keeps the control routes to the workers: in the
 * Docker stack `server1,server2,worker` resolve to the workers' containers, so a request from
 * the host through the published port, which arrives from the bridge's gateway, is refused
 * whatever address its body names. An empty list allows every caller.
 */
export function createCallerAllowList(patterns: readonly string[], { lookup = resolveAll, ttlMs = DEFAULT_TTL_MS, now = Date.now }: CallerAllowListOptions = {}): (address: string) => Promise<boolean> {
  if (patterns.length === 0) return async () => true;
  const { names, inRanges } = parseHostPatterns(patterns);
  const resolved = new Map<string, { at: number; addresses: Promise<Set<string>> }>();
  const addressesOf = (name: string): Promise<Set<string>> => {
    const cached = resolved.get(name);
    if (cached && now() - cached.at < ttlMs) return cached.addresses;
    // A name that does not resolve (a worker not started yet) allows nobody, for now.
    const addresses = lookup(name).then((list) => new Set(list.map(plainAddress)), () => new Set<string>());
    resolved.set(name, { at: now(), addresses });
    return addresses;
  };
  return async (remote) => {
    const address = plainAddress(remote);
    if (inRanges(address)) return true;
    for (const name of names) if ((await addressesOf(name)).has(address)) return true;
    return false;
  };
}
