import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Cancellation } from '../../../src/balancer/cancellation.js';
import { UpstreamPool } from '../../../src/balancer/upstream-pool.js';

const ANSWER = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n{"prime":true}';

interface RawWorker {
  url: string;
  /** Connections accepted, requests read, connections the client closed. */
  seen: { connections: number; requests: number; closed: number };
  server: Server;
}

/** A worker on raw sockets: `answer` decides what each request (numbered per connection) gets. */
async function rawWorker(answer: (socket: Socket, nth: number) => void): Promise<RawWorker> {
  const seen = { connections: 0, requests: 0, closed: 0 };
  const server = createServer((socket) => {
    seen.connections += 1;
    let nth = 0;
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      while (buffered.includes('\r\n\r\n')) {
        buffered = buffered.slice(buffered.indexOf('\r\n\r\n') + 4);
        seen.requests += 1;
        nth += 1;
        answer(socket, nth);
      }
    });
    socket.on('close', () => (seen.closed += 1));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, seen, server };
}

const pools: UpstreamPool[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const pool of pools.splice(0)) pool.close();
  for (const server of servers.splice(0)) await new Promise((r) => server.close(r));
});

function pool(keepAliveMs = 4_000): UpstreamPool {
  const p = new UpstreamPool({ connectTimeoutMs: 1_000, keepAliveMs, limits: { maxHeadBytes: 16 * 1024, maxBodyBytes: 1024 } });
  pools.push(p);
  return p;
}
async function worker(answer: (socket: Socket, nth: number) => void): Promise<RawWorker> {
  const w = await rawWorker(answer);
  servers.push(w.server);
  return w;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the upstream client', () => {
  it('when requests follow one another, then they share one kept-alive connection', async () => {
    const w = await worker((socket) => socket.write(ANSWER));
    const p = pool();
    for (let i = 0; i < 5; i++) {
      const exchange = await p.request(w.url, '/is_prime/7', 'id-1', 1_000, undefined);
      expect(exchange.ok && exchange.response.body.toString()).toBe('{"prime":true}');
    }
    expect(w.seen).toMatchObject({ connections: 1, requests: 5 });
  });

  it('when the worker closes a kept-alive connection as a request goes out, then it is sent again on a new one', async () => {
    // The first request on each connection is answered; the second finds it closing.
    const w = await worker((socket, nth) => (nth === 1 ? socket.write(ANSWER) : socket.destroy()));
    const p = pool();
    await p.request(w.url, '/is_prime/7', 'a', 1_000, undefined);
    const exchange = await p.request(w.url, '/is_prime/7', 'b', 1_000, undefined);
    expect(exchange).toMatchObject({ ok: true, response: { status: 200 } });
    expect(w.seen).toMatchObject({ connections: 2, requests: 3 });
  });

  it('when a new connection fails without an answer, then it is a failure, not sent again', async () => {
    const w = await worker((socket) => socket.destroy());
    const exchange = await pool().request(w.url, '/is_prime/7', 'a', 1_000, undefined);
    expect(exchange.ok).toBe(false);
    expect(w.seen).toMatchObject({ connections: 1, requests: 1 });
  });

  it('when the body runs until the worker closes the connection, then the answer is complete at the close', async () => {
    const w = await worker((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"prime":');
      setTimeout(() => socket.end('true}'), 20);
    });
    const exchange = await pool().request(w.url, '/is_prime/7', 'a', 1_000, undefined);
    expect(exchange.ok && exchange.response.body.toString()).toBe('{"prime":true}');
  });

  it('when answers on several connections arrive in pieces at the same time, then each gets its own bytes', async () => {
    // Each answer goes out a byte at a time, so the connections' reads interleave.
    const w = await worker((socket) => {
      const body = `{"n":${socket.remotePort}}`;
      const text = `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
      const send = (i: number): void => {
        if (i < text.length && socket.write(text[i]!)) setTimeout(() => send(i + 1), 1);
      };
      send(0);
    });
    const p = pool();
    const exchanges = await Promise.all(Array.from({ length: 6 }, (_, i) => p.request(w.url, '/is_prime/7', `r${i}`, 5_000, undefined)));
    const ports = exchanges.map((e) => (e.ok ? (JSON.parse(e.response.body.toString()) as { n: number }).n : e.message));
    expect(ports.every((port) => typeof port === 'number')).toBe(true);
    expect(new Set(ports).size).toBe(6);
  });

  it('when bytes follow an answer, then that connection is not used again', async () => {
    const w = await worker((socket) => socket.write(`${ANSWER}HTTP/1.1 200 OK\r\n`));
    const p = pool();
    expect(await p.request(w.url, '/is_prime/7', 'a', 1_000, undefined)).toMatchObject({ ok: true });
    expect(await p.request(w.url, '/is_prime/7', 'b', 1_000, undefined)).toMatchObject({ ok: true });
    expect(w.seen.connections).toBe(2);
  });

  it('when a connection has been idle too long, then it is closed and a new one used', async () => {
    const w = await worker((socket) => socket.write(ANSWER));
    const p = pool(50);
    await p.request(w.url, '/is_prime/7', 'a', 1_000, undefined);
    await sleep(80);
    await p.request(w.url, '/is_prime/7', 'b', 1_000, undefined);
    await sleep(20);
    expect(w.seen).toMatchObject({ connections: 2, closed: 1 });
  });

  it('when a connection stays idle, then the client closes it itself, whatever the worker does', async () => {
    const w = await worker((socket) => socket.write(ANSWER));
    await pool(50).request(w.url, '/is_prime/7', 'a', 1_000, undefined);
    await sleep(150);
    expect(w.seen).toMatchObject({ connections: 1, closed: 1 });
  });

  it('when the answer does not come in time, then it is a timeout and the worker sees the connection close', async () => {
    const w = await worker(() => undefined);
    const started = performance.now();
    expect(await pool().request(w.url, '/is_prime/7', 'a', 100, undefined)).toEqual({ ok: false, kind: 'timeout', message: 'no answer within 100 ms' });
    expect(performance.now() - started).toBeLessThan(500);
    await sleep(20);
    expect(w.seen.closed).toBe(1);
  });

  it('when the request is cancelled, then the worker sees the connection close', async () => {
    const w = await worker(() => undefined);
    const cancellation = new Cancellation();
    const exchange = pool().request(w.url, '/is_prime/7', 'a', 5_000, cancellation);
    await sleep(30);
    cancellation.cancel();
    expect(await exchange).toMatchObject({ ok: false, kind: 'aborted' });
    await sleep(20);
    expect(w.seen).toMatchObject({ requests: 1, closed: 1 });
  });

  it('when the answer is malformed, then it is a bad response and the connection is closed', async () => {
    const w = await worker((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n'));
    expect(await pool().request(w.url, '/is_prime/7', 'a', 1_000, undefined)).toMatchObject({ ok: false, kind: 'bad_response', message: expect.stringContaining('not HTTP') });
    await sleep(20);
    expect(w.seen.closed).toBe(1);
  });

  it('when a path or request id could split the request, then nothing is sent', async () => {
    const w = await worker((socket) => socket.write(ANSWER));
    const p = pool();
    expect(await p.request(w.url, '/is_prime/7 HTTP/1.1\r\nx: y', 'a', 1_000, undefined)).toMatchObject({ ok: false });
    expect(await p.request(w.url, '/is_prime/7', 'a\r\nx: y', 1_000, undefined)).toMatchObject({ ok: false });
    expect(w.seen.connections).toBe(0);
  });

  it('when the pool is closed, then requests in flight and later ones fail at once', async () => {
    const w = await worker(() => undefined);
    const p = pool();
    const inFlight = p.request(w.url, '/is_prime/7', 'a', 5_000, undefined);
    await sleep(30);
    p.close();
    expect(await inFlight).toMatchObject({ ok: false, kind: 'connection' });
    expect(await p.request(w.url, '/is_prime/7', 'b', 5_000, undefined)).toMatchObject({ ok: false, kind: 'connection' });
  });
});
