import { connect } from 'node:net';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { closeAfterEach, startBalancer } from '../support/in-process.js';

const track = closeAfterEach();

describe('hostile input and security', () => {
  it('when ALLOWED_SERVER_HOSTS is set, then another host cannot register (403) and a listed one can', async () => {
    // 127.0.0.1: the test's own requests come from there, and callers are checked too.
    const balancer = track(await startBalancer({ allowedServerHosts: ['server1', '10.0.0.0/8', '127.0.0.1'] }));
    const denied = await request(balancer.url).post('/server_up').send({ address: 'http://evil.example:80' }).expect(403);
    expect(denied.body.error).toBe('forbidden_host');
    await request(balancer.url).post('/server_up').send({ address: 'http://10.1.2.3:5000' }).expect(200);
    await request(balancer.url).post('/server_up').send({ address: 'http://server1:5000' }).expect(200);
    expect(balancer.registry.servers).toHaveLength(2);
  });

  it('when a control request comes from an address not in ALLOWED_SERVER_HOSTS, then it is 403 forbidden_caller whatever address its body names', async () => {
    // The Docker stack's setting: worker names, which the host's address is not among.
    const balancer = track(await startBalancer({ allowedServerHosts: ['server1', 'server2', '10.0.0.0/8'] }));
    balancer.registry.register('http://10.0.0.2:5000', 'server1');
    for (const path of ['/server_up', '/server_down']) {
      const res = await request(balancer.url).post(path).send({ address: 'http://10.0.0.2:5000', name: 'server1' }).expect(403);
      expect(res.body.error).toBe('forbidden_caller');
    }
    expect(balancer.registry.servers.map((s) => [s.name, s.status])).toEqual([['server1', 'active']]);
  });

  it('when ALLOWED_SERVER_HOSTS names a host, then callers from the addresses it resolves to may register', async () => {
    const balancer = track(await startBalancer({ allowedServerHosts: ['localhost'] }));
    await request(balancer.url).post('/server_up').send({ address: 'http://localhost:5999', name: 'local' }).expect(200);
  });

  it('when an allowed caller registers its own IP address, unlisted, then it may, but not another address', async () => {
    // A scaled compose replica: its name (the service "worker") resolves to it; it advertises its IP.
    const balancer = track(await startBalancer({ allowedServerHosts: ['localhost'] }));
    await request(balancer.url).post('/server_up').send({ address: 'http://127.0.0.1:5999', name: 'replica' }).expect(200);
    const other = await request(balancer.url).post('/server_up').send({ address: 'http://127.0.0.2:5999', name: 'other' }).expect(403);
    expect(other.body.error).toBe('forbidden_host');
    expect(balancer.registry.servers.map((s) => s.name)).toEqual(['replica']);
  });

  it('when any reply is sent, then it carries the security headers', async () => {
    const balancer = track(await startBalancer());
    for (const path of ['/health_check', '/nope', '/is_prime/x']) {
      const res = await request(balancer.url).get(path);
      expect(res.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'cache-control': 'no-store',
      });
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it("when a client sends something that is not HTTP, then Node's server answers 400 and closes the connection", async () => {
    const balancer = track(await startBalancer());
    const { port } = new URL(balancer.url);
    const reply = await new Promise<string>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.write('HELLO THERE\r\n\r\n'));
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('close', () => resolve(data));
    });
    // Node's own reply (llhttp could not read a request, so there is none to route or log).
    expect(reply).toMatch(/^HTTP\/1.1 400 /);
    expect(reply.toLowerCase()).toContain('connection: close');
  });
});
