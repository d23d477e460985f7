import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { parseRegistration, requireToken } from '../../../../src/balancer/workers/registration.js';
import { errorHandler } from '../../../../src/shared/error-handler.js';
import { silentLogger } from '../../../support/logger.js';

describe('parseRegistration', () => {
  it.each([
    [{ address: 'http://server1:5000', name: 'server1' }, 'http://server1:5000', 'server1'],
    [{ address: 'http://Server1:5000/' }, 'http://server1:5000', 'server1:5000'],
    [{ address: 'https://10.0.0.5:8443' }, 'https://10.0.0.5:8443', '10.0.0.5:8443'],
    [{ address: 'http://[::1]:5001', name: 'v6' }, 'http://[::1]:5001', 'v6'],
  ])('when the body is %j, then the address is %s and the name %s', (body, address, name) => {
    expect(parseRegistration(body)).toMatchObject({ address, name });
  });

  it.each([
    [null],
    ['http://server1:5000'],
    [[]],
    [{}],
    [{ address: 5000 }],
    [{ address: 'server1:5000' }],
    [{ address: 'ftp://server1:21' }],
    [{ address: 'http://user:pass@server1:5000' }],
    [{ address: 'http://server1:5000/path' }],
    [{ address: 'http://server1:5000/?q=1' }],
    [{ address: 'http://server1:5000#x' }],
    [{ address: 'http://server1:5000', name: '' }],
    [{ address: 'http://server1:5000', name: 'has space' }],
    [{ address: 'http://server1:5000', name: 42 }],
    [{ address: `http://${'a'.repeat(300)}:1` }],
    [{ address: 'http://server1:5000', capacity: 0 }],
    [{ address: 'http://server1:5000', capacity: 2.5 }],
    [{ address: 'http://server1:5000', capacity: '4' }],
  ])('when the body is %j, then it is an invalid_registration', (body) => {
    expect(() => parseRegistration(body)).toThrowError(expect.objectContaining({ status: 400, code: 'invalid_registration' }));
  });
});

it('when the address is too long, then the message says so rather than that it is not a string', () => {
  expect(() => parseRegistration({ address: `http://${'a'.repeat(300)}:1` })).toThrowError(/at most 256 characters, got 309/);
});

it('when a worker advertises its capacity and an IPv6 address, then both are read', () => {
  expect(parseRegistration({ address: 'http://[::1]:5001', capacity: 8 })).toMatchObject({ hostname: '::1', capacity: 8 });
});

describe('requireToken', () => {
  const app = (token: string | undefined) => {
    const a = express();
    a.post('/server_up', requireToken(token), (_req, res) => {
      res.json({ ok: true });
    });
    a.use(errorHandler(silentLogger));
    return a;
  };
  const token = 'a-long-enough-secret-token';

  it('when no token is configured, then anyone may register', async () => {
    await request(app(undefined)).post('/server_up').expect(200);
  });

  it.each([undefined, 'Bearer wrong-token-of-some-length', `Basic ${token}`, `Bearer ${token}x`, 'Bearer '])(
    'when the header is %j, then it is 401 unauthorized',
    async (header) => {
      const req = request(app(token)).post('/server_up');
      if (header !== undefined) void req.set('Authorization', header);
      const res = await req.expect(401);
      expect(res.body).toMatchObject({ error: 'unauthorized' });
    },
  );

  it('when the right token is sent, then the request goes through', async () => {
    await request(app(token)).post('/server_up').set('Authorization', `Bearer ${token}`).expect(200);
  });
});
