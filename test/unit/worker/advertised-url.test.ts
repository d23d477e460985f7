import { describe, expect, it } from 'vitest';
import { advertisedUrlFor, type Interfaces } from '../../../src/worker/advertised-url.js';
import { loadWorkerConfig } from '../../../src/worker/config.js';

const info = (address: string, family: 'IPv4' | 'IPv6', internal = false) =>
  ({ address, family, internal, netmask: '', mac: '', cidr: null }) as NonNullable<Interfaces[string]>[number];

describe('the address a worker advertises', () => {
  it('when ADVERTISED_URL is unset, then it is loopback and its port (the local stack)', () => {
    expect(advertisedUrlFor(undefined, 5001, {})).toBe('http://127.0.0.1:5001');
  });

  it('when ADVERTISED_URL is auto, then it is its own network address, so scaled replicas each advertise their own', () => {
    const interfaces: Interfaces = { lo: [info('127.0.0.1', 'IPv4', true)], eth0: [info('fe80::1', 'IPv6'), info('172.18.0.7', 'IPv4')] };
    expect(advertisedUrlFor('auto', 5000, interfaces)).toBe('http://172.18.0.7:5000');
    expect(advertisedUrlFor('auto', 5000, { eth0: [info('fe80::1', 'IPv6'), info('fd00::7', 'IPv6')] })).toBe('http://[fd00::7]:5000');
  });

  it('when ADVERTISED_URL is auto and there is only loopback, then the worker says so instead of advertising what nobody can reach', () => {
    expect(() => advertisedUrlFor('auto', 5000, { lo: [info('127.0.0.1', 'IPv4', true)] })).toThrow(/no network address other than loopback/);
  });

  it('when ADVERTISED_URL is auto and SERVER_NAME unset, then the name is the host name (a container id), unique per replica', () => {
    const config = loadWorkerConfig({ ADVERTISED_URL: 'auto' });
    expect(config.advertisedUrl).toBe('auto');
    expect(config.name).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
    expect(config.name).not.toBe('server-5000');
  });
});
