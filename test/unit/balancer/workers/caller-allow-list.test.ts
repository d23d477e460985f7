import { describe, expect, it } from 'vitest';
import { createCallerAllowList } from '../../../../src/balancer/workers/caller-allow-list.js';

describe('who may call the control routes', () => {
  it('when the list is empty, then every caller may', async () => {
    expect(await createCallerAllowList([])('203.0.113.9')).toBe(true);
  });

  it('when the list has addresses and ranges, then callers from them may and others may not, IPv4 on a dual-stack socket included', async () => {
    const allow = createCallerAllowList(['10.0.0.0/8', '192.168.1.7', 'fd00::/8']);
    expect(await allow('10.1.2.3')).toBe(true);
    expect(await allow('::ffff:10.1.2.3')).toBe(true);
    expect(await allow('192.168.1.7')).toBe(true);
    expect(await allow('fd00::1')).toBe(true);
    expect(await allow('192.168.1.8')).toBe(false);
    expect(await allow('172.17.0.1')).toBe(false);
  });

  it('when the list names hosts, then callers from the addresses they resolve to now may, and a name that does not resolve allows nobody', async () => {
    const table: Record<string, string[]> = { server1: ['172.18.0.3'], worker: ['172.18.0.5', '172.18.0.6'] };
    let now = 0;
    const lookups: string[] = [];
    const lookup = async (name: string) => {
      lookups.push(name);
      const found = table[name];
      if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
      return found;
    };
    const allow = createCallerAllowList(['server1', 'worker', 'server2'], { lookup, ttlMs: 1_000, now: () => now });
    expect(await allow('172.18.0.6')).toBe(true);
    expect(await allow('172.18.0.1')).toBe(false);
    // A replica added: seen once the cached addresses are older than the TTL.
    table.worker!.push('172.18.0.7');
    expect(await allow('172.18.0.7')).toBe(false);
    now = 1_000;
    expect(await allow('172.18.0.7')).toBe(true);
    expect(lookups.filter((n) => n === 'worker')).toHaveLength(2);
  });
});
