import { describe, expect, it } from 'vitest';
import { createHostAllowList, validHostPattern } from '../../../../src/balancer/workers/host-allow-list.js';

describe('host allow-list', () => {
  const allow = createHostAllowList(['server1', 'Server2', '10.1.0.0/16', '127.0.0.1', 'fd00::/8']);

  it.each([
    ['server1', true],
    ['SERVER2', true],
    ['server3', false],
    ['10.1.200.7', true],
    ['10.2.0.1', false],
    ['127.0.0.1', true],
    ['127.0.0.2', false],
    ['fd12::1', true],
    ['[fd12::1]', true],
    ['::1', false],
  ])('when %s registers, then allowed is %s', (host, allowed) => {
    expect(allow(host)).toBe(allowed);
  });

  it('when the list is empty, then every host may register', () => {
    expect(createHostAllowList([])('anything')).toBe(true);
  });

  it.each(['10.0.0.0/33', 'server_1', '10.0.0.0/8/1', 'host name', 'fd00::/200'])('when the pattern is %j, then it is rejected', (pattern) => {
    expect(validHostPattern(pattern)).toBeDefined();
  });
});
