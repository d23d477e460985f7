import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createUpstreamClient } from '../../../../src/balancer/upstream/client.js';

describe('upstream client', () => {
  it('when the client has already gone, then nothing is sent and the result says so (it never throws)', async () => {
    const upstream = createUpstreamClient({ probeTimeoutMs: 1_000, probeIntervalMs: 5_000 });
    const gone = new AbortController();
    gone.abort();
    await expect(upstream.forward('http://127.0.0.1:9', '/is_prime/7', 'id', { timeoutMs: 1_000, signal: gone.signal })).resolves.toMatchObject({
      ok: false,
      kind: 'aborted',
    });
    await upstream.close();
  });

  it('when nothing listens at the address, then it is a refused failure, not an exception', async () => {
    const upstream = createUpstreamClient({ probeTimeoutMs: 1_000, probeIntervalMs: 5_000 });
    await expect(upstream.forward('http://127.0.0.1:9', '/is_prime/7', 'id', { timeoutMs: 1_000 })).resolves.toMatchObject({ ok: false, kind: 'refused' });
    await upstream.close();
  });

  it('when a worker answers more than an answer can be, then it is a bad response and nothing more is read', async () => {
    const server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(Buffer.alloc(1024 * 1024, 32));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const upstream = createUpstreamClient({ probeTimeoutMs: 1_000, probeIntervalMs: 5_000 });
    const { port } = server.address() as AddressInfo;
    await expect(upstream.forward(`http://127.0.0.1:${port}`, '/is_prime/7', 'id', { timeoutMs: 1_000 })).resolves.toMatchObject({
      ok: false,
      kind: 'bad_response',
    });
    await upstream.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('when a worker does not answer in time, then the try is a timeout on time and the worker sees the request cancelled', async () => {
    let cancelled!: () => void;
    const sawCancel = new Promise<void>((resolve) => (cancelled = resolve));
    const server = createServer((req) => req.socket.once('close', cancelled));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const upstream = createUpstreamClient({ probeTimeoutMs: 1_000, probeIntervalMs: 5_000 });
    const { port } = server.address() as AddressInfo;
    const started = performance.now();
    await expect(upstream.forward(`http://127.0.0.1:${port}`, '/is_prime/7', 'id', { timeoutMs: 150 })).resolves.toMatchObject({ ok: false, kind: 'timeout' });
    expect(performance.now() - started).toBeLessThan(1_000);
    await sawCancel;
    await upstream.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('when probes come less often than a connection is kept (the default 5 s), then each closes its connection after the answer, while requests keep theirs alive', async () => {
    const connections: string[] = [];
    const closed: string[] = [];
    const server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end('{"status":"ok"}');
    });
    server.on('connection', (socket) => {
      const id = String(connections.length);
      connections.push(id);
      socket.once('close', () => closed.push(id));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const upstream = createUpstreamClient({ probeTimeoutMs: 1_000, probeIntervalMs: 5_000 });

    expect(await upstream.forward(origin, '/is_prime/7', 'a', { timeoutMs: 1_000 })).toMatchObject({ ok: true, status: 200 });
    // undici reuses a connection from the next turn of the event loop on.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await upstream.forward(origin, '/is_prime/7', 'b', { timeoutMs: 1_000 })).toMatchObject({ ok: true, status: 200 });
    expect(connections).toHaveLength(1);
    expect(await upstream.probe(origin)).toEqual({ ok: true });
    expect(await upstream.probe(origin)).toEqual({ ok: true });
    expect(connections).toHaveLength(3);
    await expect.poll(() => closed.slice().sort()).toEqual(['1', '2']);

    await upstream.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('when a worker is probed twice at once, then one probe goes out and both callers get its answer', async () => {
    let probes = 0;
    const server = createServer((_req, res) => {
      probes += 1;
      // Slow enough that the second probe starts while the first is in flight.
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}'), 50);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const upstream = createUpstreamClient({ probeTimeoutMs: 1_000, probeIntervalMs: 5_000 });

    expect(await Promise.all([upstream.probe(origin), upstream.probe(origin)])).toEqual([{ ok: true }, { ok: true }]);
    expect(probes).toBe(1);
    expect(await upstream.probe(origin)).toEqual({ ok: true });
    expect(probes).toBe(2);

    await upstream.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('when probes come sooner than a connection idles out, then they share one kept-alive connection', async () => {
    let connections = 0;
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}'));
    server.on('connection', () => (connections += 1));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const upstream = createUpstreamClient({ probeTimeoutMs: 1_000, probeIntervalMs: 200 });

    for (let i = 0; i < 3; i++) {
      expect(await upstream.probe(origin)).toEqual({ ok: true });
      // undici reuses a connection from the next turn of the event loop on.
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(connections).toBe(1);

    await upstream.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
});

