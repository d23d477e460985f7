import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { captureLogger } from '../support/logger.js';
import { closeAfterEach, listen, startBalancer, startWorker, type Running } from '../support/in-process.js';

const track = closeAfterEach();

/** A stand-in worker that answers every request with a fixed status (or never). */
async function fakeWorker(behaviour: 'error500' | 'hang'): Promise<Running> {
  const app = express();
  app.get('/{*path}', (_req, res) => {
    if (behaviour === 'error500') res.status(500).json({ error: 'boom' });
  });
  return track(await listen(app));
}

describe('balancer routing', () => {
  it('when two workers are active, then requests alternate between them and say who served them', async () => {
    const balancer = track(await startBalancer());
    for (const name of ['server1', 'server2']) balancer.register(track(await startWorker(name)));
    const servedBy: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await request(balancer.url).get('/is_prime/524287').expect(200);
      expect(res.body).toMatchObject({ number: '524287', is_prime: true });
      expect(res.headers['x-served-by']).toBe(res.body.server);
      servedBy.push(res.headers['x-served-by'] as string);
    }
    expect(servedBy).toEqual(['server1', 'server2', 'server1', 'server2', 'server1', 'server2']);
  });

  it('when a client sends a request id, then the worker logs the same id and the reply carries it', async () => {
    const { logger, records } = captureLogger('info');
    const balancer = track(await startBalancer());
    balancer.register(track(await startWorker('server1', { logger })));
    await request(balancer.url).get('/is_prime/97').set('X-Request-Id', 'trace-42').expect('x-request-id', 'trace-42');
    expect(records.some((r) => (r.req as { id?: string } | undefined)?.id === 'trace-42' && r.msg === 'request completed')).toBe(true);
  });

  it('when a request is proxied, then the balancer logs one line with its id, status and the server that answered', async () => {
    const { logger, records } = captureLogger('info');
    const balancer = track(await startBalancer({ selection: 'round_robin' }, logger));
    balancer.register({ url: (await fakeWorker('error500')).url, name: 'broken' });
    balancer.register(track(await startWorker('server1')));
    await request(balancer.url).get('/is_prime/97').set('X-Request-Id', 'line-7').expect(200);
    await request(balancer.url).get('/is_prime/x').set('X-Request-Id', 'line-8').expect(400);
    // broken is out since its 500; with server1 out too, the next request gets 503.
    balancer.registry.markFailed(balancer.registry.servers[1]!, 'stopped');
    await request(balancer.url).get('/is_prime/97').set('X-Request-Id', 'line-9').expect(503);
    const lines = records.filter((r) => r.msg === 'request completed');
    expect(lines).toEqual([
      expect.objectContaining({ level: 30, server: 'server1', res: { statusCode: 200 }, req: { id: 'line-7', method: 'GET', url: '/is_prime/97' } }),
      expect.objectContaining({ level: 40, req: { id: 'line-8', method: 'GET', url: '/is_prime/x' }, res: { statusCode: 400 } }),
      // A 503 (refused by design, with Retry-After) is the same line at warn, with no made-up error in it.
      expect.objectContaining({ level: 40, req: { id: 'line-9', method: 'GET', url: '/is_prime/97' }, res: { statusCode: 503 } }),
    ]);
    expect(lines[2]).not.toHaveProperty('err');
    // The first try went to the broken worker: its line names the same request.
    expect(records.find((r) => r.msg === 'try failed')).toMatchObject({ req: { id: 'line-7', url: '/is_prime/97' }, server: 'broken', kind: 'server_error' });
  });

  it('when the client sends no or an unsafe request id, then a fresh one is made and passed on', async () => {
    const balancer = track(await startBalancer());
    balancer.register(track(await startWorker('server1')));
    const res = await request(balancer.url).get('/is_prime/97').set('X-Request-Id', 'bad id\twith junk').expect(200);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('when a worker answers 500, then the request is retried on the next worker and the bad one is taken out', async () => {
    const balancer = track(await startBalancer());
    const broken = await fakeWorker('error500');
    balancer.register({ url: broken.url, name: 'broken' });
    balancer.register(track(await startWorker('server2')));
    const res = await request(balancer.url).get('/is_prime/7').expect(200);
    expect(res.headers['x-served-by']).toBe('server2');
    expect(balancer.registry.get(broken.url)).toMatchObject({ status: 'inactive', failures: 1, lastError: 'answered 500' });
  });

  it('when a worker refuses connections, then the client still gets an answer from another', async () => {
    const balancer = track(await startBalancer());
    const gone = await startWorker('gone');
    await gone.close();
    balancer.register(gone);
    balancer.register(track(await startWorker('server2')));
    for (let i = 0; i < 4; i++) await request(balancer.url).get('/is_prime/7').expect(200).expect('x-served-by', 'server2');
    expect(balancer.registry.get(gone.url)?.status).toBe('inactive');
  });

  it("when a worker rejects the number (4xx), then the reply passes through and the worker is not blamed", async () => {
    const balancer = track(await startBalancer());
    const strict = track(await startWorker('strict', { maxDigits: 5 }));
    balancer.register(strict);
    const res = await request(balancer.url).get('/is_prime/1234567').expect(400);
    expect(res.body.error).toBe('number_too_large');
    expect(res.headers['x-served-by']).toBe('strict');
    expect(balancer.registry.get(strict.url)).toMatchObject({ status: 'active', failures: 0 });
  });

  it.each(['abc', '-1', '1.5', '%zz', '', '9'.repeat(2001)])(
    'when the number is %j, then the balancer answers 400 itself and no worker is touched',
    async (raw) => {
      const balancer = track(await startBalancer());
      const worker = track(await startWorker('server1'));
      balancer.register(worker);
      const res = await request(balancer.url).get(`/is_prime/${raw}`).expect(400);
      expect(['invalid_number', 'number_too_large']).toContain(res.body.error);
      expect(balancer.registry.get(worker.url)).toMatchObject({ status: 'active', failures: 0, served: 0 });
    },
  );

  it('when no worker is registered, then it is 503 no_active_servers with Retry-After', async () => {
    const balancer = track(await startBalancer());
    const res = await request(balancer.url).get('/is_prime/7').expect(503);
    expect(res.body.error).toBe('no_active_servers');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('when a balancer has just started and its first worker announces itself within STARTUP_WAIT_MS, then a request sent before is answered', async () => {
    const balancer = track(await startBalancer({ startupWaitMs: 5_000 }));
    const worker = track(await startWorker('server1'));
    const pending = request(balancer.url).get('/is_prime/7');
    setTimeout(() => balancer.register(worker), 300);
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ is_prime: true, server: 'server1' });
  });

  it('when no worker announces itself within STARTUP_WAIT_MS, then waiting requests get 503 no_active_servers, and later ones at once', async () => {
    const started = Date.now();
    const balancer = track(await startBalancer({ startupWaitMs: 300 }));
    const first = await request(balancer.url).get('/is_prime/7').expect(503);
    expect(first.body.error).toBe('no_active_servers');
    // Held until the wait, counted from the balancer's start, was over.
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    const again = Date.now();
    expect((await request(balancer.url).get('/is_prime/7').expect(503)).body.error).toBe('no_active_servers');
    expect(Date.now() - again).toBeLessThan(200);
  });

  it('when every worker fails, then it is 502 upstream_failed', async () => {
    const balancer = track(await startBalancer());
    balancer.register({ url: (await fakeWorker('error500')).url, name: 'a' });
    balancer.register({ url: (await fakeWorker('error500')).url, name: 'b' });
    expect((await request(balancer.url).get('/is_prime/7').expect(502)).body.error).toBe('upstream_failed');
    expect(balancer.registry.countActive()).toBe(0);
  });

  it('when every worker times out, then it is 504 upstream_timeout', async () => {
    const balancer = track(await startBalancer({ requestTimeoutMs: 200 }));
    balancer.register({ url: (await fakeWorker('hang')).url, name: 'slow' });
    expect((await request(balancer.url).get('/is_prime/7').expect(504)).body.error).toBe('upstream_timeout');
  });

  // How soon is the health checker's unit test (fake timers); this is the real probe over HTTP.
  it('when a failed worker recovers, then a real health probe puts it back and it serves again', async () => {
    const balancer = track(await startBalancer({ healthCheckIntervalMs: 100 }));
    const worker = track(await startWorker('server1'));
    balancer.register(worker);
    balancer.registry.markFailed(balancer.registry.get(worker.url)!, 'simulated');
    await request(balancer.url).get('/is_prime/97').expect(503);
    balancer.healthChecker.start();
    await expect.poll(() => balancer.registry.get(worker.url)?.status, { timeout: 2_000 }).toBe('active');
    await request(balancer.url).get('/is_prime/97').expect(200).expect('x-served-by', 'server1');
  });
});
