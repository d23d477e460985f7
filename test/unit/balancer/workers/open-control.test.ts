import { describe, expect, it } from 'vitest';
import { openControlWarning } from '../../../../src/balancer/workers/open-control.js';

describe('the warning for open control routes', () => {
  it('when neither a token nor allowed hosts are set, then the routes are open to every host', () => {
    expect(openControlWarning({ registrationToken: undefined, allowedServerHosts: [] })).toBe(
      'registration is open: every host that reaches this port can add or drain workers; set REGISTRATION_TOKEN or ALLOWED_SERVER_HOSTS',
    );
  });

  it.each([['0.0.0.0/0'], ['::/0'], ['10.0.0.0/8,0.0.0.0/00']])('when ALLOWED_SERVER_HOSTS is %s, then it counts as no list: the warning names it', (hosts) => {
    const warning = openControlWarning({ registrationToken: undefined, allowedServerHosts: hosts.split(',') });
    expect(warning).toMatch(/^registration is open: ALLOWED_SERVER_HOSTS lists (0\.0\.0\.0\/00?|::\/0), which is every address/);
  });

  it('when a token is set, or the allowed hosts are a real list, then there is no warning', () => {
    expect(openControlWarning({ registrationToken: 'a'.repeat(16), allowedServerHosts: ['0.0.0.0/0'] })).toBeUndefined();
    expect(openControlWarning({ registrationToken: undefined, allowedServerHosts: ['127.0.0.1', '10.0.0.0/8', 'server1'] })).toBeUndefined();
  });
});
