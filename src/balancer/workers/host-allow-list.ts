import { BlockList, isIP } from 'node:net';

/**
 * Which hosts may register as workers (ALLOWED_SERVER_HOSTS): host names, matched exactly and
 * case-insensitively, and IP addresses or ranges in CIDR form (`10.0.0.0/8`, `fd00::/8`).
 * An empty list allows any host. Names are matched as names: the balancer does not resolve
 * them, so allow a name only if whoever controls its DNS is trusted.
 */
export function createHostAllowList(patterns: readonly string[]): (hostname: string) => boolean {
  if (patterns.length === 0) return () => true;
  const { names, inRanges } = parseHostPatterns(patterns);
  return (hostname) => {
    const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
    return isIP(host) === 0 ? names.has(host) : inRanges(host);
  };
}

/**
 * ALLOWED_SERVER_HOSTS split into host names (lower case) and the IP addresses and CIDR ranges,
 * for this list and the callers' (caller-allow-list.ts).
 */
export function parseHostPatterns(patterns: readonly string[]): { names: Set<string>; inRanges: (address: string) => boolean } {
  const names = new Set<string>();
  const ranges = new BlockList();
  for (const pattern of patterns) {
    const [address, bits] = pattern.split('/');
    const family = isIP(address ?? '');
    if (family === 0) names.add(pattern.toLowerCase());
    else if (bits === undefined) ranges.addAddress(address!, family === 4 ? 'ipv4' : 'ipv6');
    else ranges.addSubnet(address!, Number(bits), family === 4 ? 'ipv4' : 'ipv6');
  }
  const inRanges = (address: string): boolean => {
    const family = isIP(address);
    return family !== 0 && ranges.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
  return { names, inRanges };
}

/** A socket's remote address as it is written in a pattern: `::ffff:10.0.0.2` (an IPv4 client on a dual-stack socket) is `10.0.0.2`. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address.toLowerCase();
}

/** Validates one ALLOWED_SERVER_HOSTS item; returns the problem, or undefined when it is fine. */
export function validHostPattern(pattern: string): string | undefined {
  const [address, bits, extra] = pattern.split('/');
  const family = isIP(address ?? '');
  if (extra !== undefined) return `"${pattern}" is not a host or CIDR range`;
  if (bits !== undefined) {
    const max = family === 4 ? 32 : family === 6 ? 128 : -1;
    if (max === -1 || !/^\d+$/.test(bits) || Number(bits) > max) return `"${pattern}" is not a CIDR range`;
    return undefined;
  }
  if (family !== 0) return undefined;
  return /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/i.test(pattern) ? undefined : `"${pattern}" is not a host name`;
}
