import { connect } from 'node:net';
import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { listen, startBalancer, startWorker, type Running } from '../support/in-process.js';

const cleanup: Running[] = [];
afterEach(async () => {
  for (const r of cleanup.splice(0)) await r.close().catch(() => undefined);
});

describe('balancer shutdown', () => {
  it('when keep-alive clients keep sending during shutdown, then each in-flight request is answered and shutdown still finishes', async () => {
    const balancer = await startBalancer();
    const worker = await startWorker('server1');
    cleanup.push(worker);
    balancer.register(worker);
    const agent = new Agent({ connections: 16 });
    let stop = false;
    const statuses = new Map<number, number>();
    const errors: string[] = [];
    const clients = Array.from({ length: 16 }, async () => {
      while (!stop) {
        try {
          const res = await agent.request({ origin: balancer.url, path: '/is_prime/524287', method: 'GET' });
          await res.body.text();
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        } catch (err) {
          // Once the server is closed, new connections are refused: that is the point.
          if (!stop) errors.push((err as { code?: string }).code ?? String(err));
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    balancer.healthChecker.stop();
    await balancer.close();
    const tookMs = Date.now() - started;
    stop = true;
    await Promise.all(clients);
    await agent.close();
    expect(tookMs).toBeLessThan(1_000);
    expect([...statuses.keys()]).toEqual([200]);
    // A request sent on an idle keep-alive connection in the instant it is closed is reset
    // before the server reads it (never processed; a client may send it again): at most one
    // per connection. After that, the port is closed.
    const resets = errors.filter((code) => code !== 'ECONNREFUSED');
    expect(resets.every((code) => code === 'ECONNRESET' || code === 'UND_ERR_SOCKET')).toBe(true);
    expect(resets.length).toBeLessThanOrEqual(16);
  });

  it('when a client asks to wait for a running job once shutdown has begun, then it gets the job at once and shutdown is not held up', async () => {
    // No worker: the job stays running. A client polling with ?wait (scripts/job.ts does) sends
    // its next poll as soon as shutdown has answered the last one, before the server stops
    // reading: it would wait out its ?wait, and the shutdown with it (SHUTDOWN_TIMEOUT_MS, exit 1).
    const balancer = await startBalancer();
    cleanup.push(balancer);
    const created = await fetch(`${balancer.url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'count_primes', from: '0', to: '1000000000000' }) });
    const { job } = (await created.json()) as { job: { id: string } };
    await balancer.jobs.close();
    const started = Date.now();
    const polled = await fetch(`${balancer.url}/jobs/${job.id}?wait=5`);
    expect(polled.status).toBe(200);
    expect(((await polled.json()) as { job: { status: string } }).job.status).toBe('running');
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('server shutdown', () => {
  it('when a request arrives during shutdown on a connection opened before it, then it is answered with Connection: close and shutdown finishes', async () => {
    const server = await listen((_req, res) => res.end('fast')); // answered synchronously, like a health check
    // Opened before the shutdown and unused, as undici's spare connections are.
    const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise<void>((r) => socket.once('close', () => r()));
    const closed = server.close();
    socket.write('GET /fast HTTP/1.1\r\nHost: x\r\n\r\n');
    await closed;
    await ended;
    const reply = Buffer.concat(chunks).toString();
    expect(reply).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*fast$/);
    expect(reply.toLowerCase()).toContain('connection: close');
  });

  it('when a client has sent only part of a request body, then shutdown does not wait for the rest', async () => {
    const server = await listen((req, res) => {
      req.resume();
      req.on('end', () => res.end('done'));
    });
    const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write('POST /jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{');
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await server.close();
    socket.destroy();
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
