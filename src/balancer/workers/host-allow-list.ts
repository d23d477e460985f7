import { BlockList, isIP } from 'node:net';

/**
 * Which hosts may register as workers (ALLOWED_SERVER_HOSTS): host names, matched exactly and
 * case-insensitively, and IP addresses or ranges in CIDR form (`10.0.0.0/8`, `fd00::/8`).
 * An empty list allows any host. Names are matched as names: the balancer does not resolve
 * them, so allow a name only if whoever controls its DNS is trusted.
 */
export function createHostAllowList(patterns: readonly string[]): (hostname: string) => boolean {
  if (patterns.length === 0) return () => true;
  const names = new Set<string>();
  const ranges = new BlockList();
  for (const pattern of patterns) {
    const [address, bits] = pattern.split('/');
    const family = isIP(address ?? '');
    if (family === 0) names.add(pattern.toLowerCase());
    else if (bits === undefined) ranges.addAddress(address!, family === 4 ? 'ipv4' : 'ipv6');
    else ranges.addSubnet(address!, Number(bits), family === 4 ? 'ipv4' : 'ipv6');
  }
  return (hostname) => {
    const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
    const family = isIP(host);
    if (family === 0) return names.has(host);
    return ranges.check(host, family === 4 ? 'ipv4' : 'ipv6');
  };
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
