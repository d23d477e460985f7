import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { loadBalancerConfig } from '../../src/balancer/config.js';
import { MAX_DIGITS_LIMIT } from '../../src/shared/number.js';
import { captureLogger } from '../support/logger.js';
import { closeAfterEach, startBalancer, startWorker } from '../support/in-process.js';
import { RawConnection, rawRequest } from '../support/raw-http.js';

const track = closeAfterEach();

describe('balancer control API', () => {
  const body = (address: string, name = 'server1') => ({ address, name });

  it('when a worker posts /server_up, then it is listed as active; posting again changes nothing', async () => {
    const balancer = track(await startBalancer());
    const first = await request(balancer.url).post('/server_up').send(body('http://127.0.0.1:5999')).expect(200);
    expect(first.body.server).toMatchObject({ name: 'server1', address: 'http://127.0.0.1:5999', status: 'active', served: 0 });
    await request(balancer.url).post('/server_up').send(body('http://127.0.0.1:5999/')).expect(200);
    const list = await request(balancer.url).get('/servers').expect(200);
    expect(list.body.servers).toHaveLength(1);
    expect(Object.keys(list.body.servers[0]).sort()).toEqual(
      ['address', 'failures', 'in_flight', 'last_error', 'last_seen', 'name', 'served', 'status'].sort(),
    );
  });

  it('when a worker announces itself again and again, then the log at info has its registration once, not a line per announce', async () => {
    const { logger, records } = captureLogger('info');
    const balancer = track(await startBalancer({}, logger));
    for (let i = 0; i < 3; i++) await request(balancer.url).post('/server_up').send(body('http://127.0.0.1:5999')).expect(200);
    await request(balancer.url).post('/server_up').send({ name: 'server1' }).expect(400);
    expect(records.filter((r) => r.msg === 'server server1 is active')).toHaveLength(1);
    expect(records.filter((r) => r.msg === 'request completed').map((r) => [r.level, r.res])).toEqual([[40, { statusCode: 400 }]]);
  });

  it('when a worker posts /server_down, then it is draining and gets no requests', async () => {
    const balancer = track(await startBalancer());
    const worker = track(await startWorker('server1'));
    await request(balancer.url).post('/server_up').send(body(worker.url)).expect(200);
    const res = await request(balancer.url).post('/server_down').send({ address: worker.url }).expect(200);
    expect(res.body.server.status).toBe('draining');
    await request(balancer.url).get('/is_prime/7').expect(503);
    expect((await request(balancer.url).get('/health_check').expect(200)).body).toEqual({
      status: 'ok',
      active_servers: 0,
      servers: 1,
    });
  });

  it('when a worker whose address another has taken posts /server_down late, then it is 404 and the new one stays active', async () => {
    const balancer = track(await startBalancer());
    const address = 'http://127.0.0.1:5999';
    await request(balancer.url).post('/server_up').send({ address, name: 'gone-pod' }).expect(200);
    await request(balancer.url).post('/server_up').send({ address, name: 'new-pod' }).expect(200);
    const late = await request(balancer.url).post('/server_down').send({ address, name: 'gone-pod' }).expect(404);
    expect(late.body.error).toBe('unknown_server');
    expect((await request(balancer.url).get('/servers').expect(200)).body.servers).toMatchObject([{ name: 'new-pod', status: 'active' }]);
  });

  it('when /server_down names an unknown address, then it is 404 unknown_server', async () => {
    const balancer = track(await startBalancer());
    const res = await request(balancer.url).post('/server_down').send({ address: 'http://127.0.0.1:1' }).expect(404);
    expect(res.body.error).toBe('unknown_server');
  });

  it.each(['/server_up', '/jobs'])('when %s gets a JSON body without Content-Type: application/json, then the 400 says to send that header', async (path) => {
    const balancer = track(await startBalancer());
    const res = await request(balancer.url).post(path).type('form').send('{"address":"http://127.0.0.1:1"}').expect(400);
    expect(res.body.message).toMatch(/^send the body as JSON, with Content-Type: application\/json/);
    expect(balancer.registry.servers).toEqual([]);
  });

  it.each([
    ['not JSON', '{oops', 400, 'invalid_json'],
    ['a bad address', JSON.stringify({ address: 'file:///etc/passwd' }), 400, 'invalid_registration'],
    ['no body', '', 400, 'invalid_registration'],
    ['an oversized body', JSON.stringify({ address: 'http://a:1', name: 'x'.repeat(5000) }), 413, 'payload_too_large'],
  ])('when /server_up gets %s, then it is a clear %i and nothing is registered', async (_what, payload, status, code) => {
    const balancer = track(await startBalancer());
    const res = await request(balancer.url).post('/server_up').set('content-type', 'application/json').send(payload).expect(status);
    expect(res.body.error).toBe(code);
    expect(balancer.registry.servers).toHaveLength(0);
  });

  it.each([
    ['a gzip body that does not inflate', Buffer.from('not gzip')],
    ['a gzip body cut short', gzipSync(JSON.stringify({ kind: 'count_primes', from: '0', to: '10' })).subarray(0, 20)],
  ])('when POST /jobs gets %s, then it is 400 invalid_json, not a 500, and no job is made', async (_what, payload) => {
    const balancer = track(await startBalancer());
    const res = await request(balancer.url).post('/jobs').set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').send(payload).expect(400);
    expect(res.body.error).toBe('invalid_json');
    expect((await request(balancer.url).get('/jobs').expect(200)).body.jobs).toEqual([]);
  });

  it.each(['/server_up', '/jobs'])('when %s gets a JSON body in UTF-16, then it is 415 unsupported_media_type', async (path) => {
    const balancer = track(await startBalancer());
    const payload = Buffer.from(JSON.stringify({ address: 'http://127.0.0.1:5999', name: 'u16', kind: 'count_primes', from: '0', to: '9' }), 'utf16le');
    const res = await request(balancer.url).post(path).set('Content-Type', 'application/json; charset=utf-16le').send(payload).expect(415);
    expect(res.body.error).toBe('unsupported_media_type');
    expect(balancer.registry.servers).toEqual([]);
  });

  it('when a number has the most digits MAX_DIGITS may allow, then its request fits the worker and is answered', async () => {
    const balancer = track(await startBalancer({ maxDigits: MAX_DIGITS_LIMIT }));
    for (const name of ['w1', 'w2']) balancer.register(track(await startWorker(name, { maxDigits: MAX_DIGITS_LIMIT })));
    // An even number: answered at once, however long.
    const even = `1${'0'.repeat(MAX_DIGITS_LIMIT - 1)}`;
    const res = await request(balancer.url).get(`/is_prime/${even}`).expect(200);
    expect(res.body.is_prime).toBe(false);
    expect(balancer.registry.servers.map((s) => s.status)).toEqual(['active', 'active']);
    expect(() => loadBalancerConfig({ MAX_DIGITS: String(MAX_DIGITS_LIMIT + 1) })).toThrow(/MAX_DIGITS/);
  });

  it('when a registration token is set, then /server_up without it is 401 and with it works', async () => {
    const token = 'a-very-secret-registration-token';
    const balancer = track(await startBalancer({ registrationToken: token }));
    const denied = await request(balancer.url).post('/server_up').send(body('http://127.0.0.1:5999')).expect(401);
    expect(denied.body).toMatchObject({ error: 'unauthorized' });
    await request(balancer.url).post('/server_up').set('Authorization', `Bearer ${token}`).send(body('http://127.0.0.1:5999')).expect(200);
  });

  it('when the path is unknown or the method wrong, then it is a JSON 404 or 405 without internals', async () => {
    const balancer = track(await startBalancer());
    const missing = await request(balancer.url).get('/admin').expect(404).expect('content-type', /json/);
    expect(missing.body.error).toBe('not_found');
    const wrong = await request(balancer.url).get('/server_up').expect(405).expect('allow', 'POST');
    expect(wrong.body.error).toBe('method_not_allowed');
    expect(JSON.stringify([missing.body, wrong.body])).not.toMatch(/at .*\.ts|node_modules/);
    // A path that takes GET takes HEAD too; a long unknown path is not echoed whole.
    await request(balancer.url).post('/is_prime/7').expect(405).expect('allow', 'GET, HEAD');
    await request(balancer.url).delete('/jobs').expect(405).expect('allow', 'GET, POST, HEAD');
    const long = await request(balancer.url).get(`/${'x'.repeat(5_000)}`).expect(404);
    expect(long.body.message.length).toBeLessThan(300);
  });

  it('when /metrics is scraped after traffic, then it shows requests by server and outcome and the registry', async () => {
    const balancer = track(await startBalancer());
    balancer.register(track(await startWorker('server1')));
    await request(balancer.url).get('/is_prime/7').expect(200);
    await request(balancer.url).get('/is_prime/x').expect(400);
    const res = await request(balancer.url).get('/metrics').expect(200).expect('content-type', /text\/plain/);
    expect(res.text).toContain('distcalc_requests_total{server="server1",outcome="ok"} 1');
    expect(res.text).toContain('distcalc_requests_total{server="none",outcome="rejected"} 1');
    expect(res.text).toContain('distcalc_servers{status="active"} 1');
    expect(res.text).toContain('distcalc_request_duration_seconds_bucket');
  });

  it('when a worker comes back under its name at a new address and the old entry is forgotten, then its metric series stay', async () => {
    const balancer = track(await startBalancer());
    const old = track(await startWorker('server1'));
    balancer.register(old);
    await request(balancer.url).get('/is_prime/7').expect(200);
    balancer.register(track(await startWorker('server1')));
    await request(balancer.url).get('/is_prime/7').expect(200);
    balancer.registry.remove(balancer.registry.get(old.url)!, 'not seen for 300 s');
    const series = async () => (await request(balancer.url).get('/metrics')).text.match(/^distcalc_requests_total\{server="server1".*$/m)?.[0];
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await series()).toBe('distcalc_requests_total{server="server1",outcome="ok"} 2');
    balancer.registry.remove(balancer.registry.servers[0]!, 'not seen for 300 s');
    await expect.poll(series).toBeUndefined();
  });

  it('when a request names its target in absolute form, as proxies send it, then it is routed by its path', async () => {
    const balancer = track(await startBalancer());
    balancer.register(track(await startWorker('server1')));
    const connection = await RawConnection.open(balancer.url);
    try {
      connection.send(rawRequest(`${balancer.url}/is_prime/7`) + rawRequest(`${balancer.url}/servers?x=1`));
      const [prime, servers] = await connection.answers(2);
      expect([prime!.status, JSON.parse(prime!.body)]).toEqual([200, expect.objectContaining({ number: '7', is_prime: true })]);
      expect(servers!.status).toBe(200);
    } finally {
      connection.close();
    }
  });
});
