import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { framingOf, readChunked, RECONNECT_PAUSE_MS, runClosedLoop } from '../../../bench/closed-loop.js';

const servers: Array<HttpServer | NetServer> = [];
const sockets = new Set<Socket>();

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function listen<S extends HttpServer | NetServer>(server: S): Promise<string> {
  servers.push(server);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** An HTTP server answering 200 with the path, counting connections and requests per path. */
async function echoServer(name: string): Promise<{ origin: string; connections: () => number; paths: string[] }> {
  let connections = 0;
  const paths: string[] = [];
  const server = createHttpServer((req, res) => {
    paths.push(req.url ?? '');
    res.setHeader('x-served-by', name);
    res.end(JSON.stringify({ path: req.url }));
  });
  server.on('connection', () => (connections += 1));
  return { origin: await listen(server), connections: () => connections, paths };
}

/** A raw TCP server that answers each request (one per read) with `reply(n)`, the n-th on that connection. */
async function rawServer(reply: (socket: Socket, n: number) => void): Promise<string> {
  return listen(
    createNetServer((socket) => {
      let n = 0;
      socket.on('data', () => reply(socket, n++));
      socket.on('error', () => {});
    }),
  );
}

describe('the benchmark’s closed-loop generator', () => {
  it('when users run, then each holds one keep-alive connection and asks for the paths in turn, starting at its own offset', async () => {
    const server = await echoServer('a');
    const run = await runClosedLoop({ origins: [server.origin], paths: ['/0', '/1', '/2'], users: 3, durationMs: 150, timeoutMs: 1_000 });

    expect(server.connections()).toBe(3);
    expect(run.records.length).toBeGreaterThan(6);
    expect(run.records.every((r) => r.status === 200 && r.error === null && r.server === 'a' && r.latencyMs > 0)).toBe(true);
    for (const user of [0, 1, 2]) {
      const asked = run.records.filter((r) => r.user === user).map((r) => r.path);
      expect(asked).toEqual(asked.map((_, i) => `/${(user + i) % 3}`));
    }
    expect(server.paths.length).toBe(run.records.length);
    expect(run.endedAt).toBeGreaterThanOrEqual(run.startedAt + 150);
  });

  it('when given two origins, then the users are split between them in turn', async () => {
    const [a, b] = [await echoServer('a'), await echoServer('b')];
    const run = await runClosedLoop({ origins: [a.origin, b.origin], paths: ['/x'], users: 4, durationMs: 100, timeoutMs: 1_000 });

    expect([a.connections(), b.connections()]).toEqual([2, 2]);
    for (const r of run.records) expect(r.server).toBe(r.user % 2 === 0 ? 'a' : 'b');
  });

  it('when answers come in pieces, chunked, or as errors, then each is read whole and an error keeps its code', async () => {
    const origin = await rawServer((socket, n) => {
      const ok = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok';
      const err = 'HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"err\r\n11\r\nor":"overloaded"}\r\n0\r\n\r\n';
      const answer = n % 2 === 0 ? ok : err;
      // One byte at a time, so every boundary falls between two reads somewhere.
      let i = 0;
      const drip = (): void => {
        if (socket.destroyed) return;
        socket.write(answer[i]!);
        if (++i < answer.length) setImmediate(drip);
      };
      drip();
    });
    const run = await runClosedLoop({ origins: [origin], paths: ['/p'], users: 1, durationMs: 100, timeoutMs: 1_000 });

    expect(run.records.length).toBeGreaterThanOrEqual(2);
    run.records.forEach((r, i) => {
      if (i % 2 === 0) expect([r.status, r.error]).toEqual([200, null]);
      else expect([r.status, r.error]).toEqual([503, '503 overloaded']);
    });
  });

  it('when the server closes each connection after answering, then the next request opens a new one and nothing fails', async () => {
    let connections = 0;
    const origin = await rawServer((socket) => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok'));
    servers.at(-1)!.on('connection', () => (connections += 1));
    const run = await runClosedLoop({ origins: [origin], paths: ['/p'], users: 2, durationMs: 100, timeoutMs: 1_000 });

    expect(run.records.length).toBeGreaterThan(4);
    expect(run.records.filter((r) => r.error !== null)).toEqual([]);
    expect(connections).toBe(run.records.length);
  });

  it('when the server hangs up before answering, then the request fails as closed and the user goes on over a new connection', async () => {
    let connections = 0;
    const origin = await rawServer((socket, n) => {
      if (connections % 2 === 0 && n === 0) socket.end();
      else socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok', () => socket.end());
    });
    servers.at(-1)!.on('connection', () => (connections += 1));
    const run = await runClosedLoop({ origins: [origin], paths: ['/p'], users: 1, durationMs: 100, timeoutMs: 1_000 });

    expect(run.records.length).toBeGreaterThan(2);
    run.records.forEach((r, i) => expect(r.error).toBe(i % 2 === 0 ? null : 'connection_closed'));
  });

  it('when a server never answers, then each request fails as a timeout after timeoutMs and the run still ends', async () => {
    const origin = await rawServer(() => {});
    const run = await runClosedLoop({ origins: [origin], paths: ['/p'], users: 2, durationMs: 50, timeoutMs: 200 });

    expect(run.records.map((r) => [r.status, r.error])).toEqual([
      [0, 'timeout'],
      [0, 'timeout'],
    ]);
    for (const r of run.records) expect(r.latencyMs).toBeGreaterThanOrEqual(200);
  });

  it('when nothing listens, then each try fails as refused, paced instead of spinning', async () => {
    const origin = await listen(createNetServer());
    await new Promise((resolve) => servers.pop()!.close(resolve));
    const run = await runClosedLoop({ origins: [origin], paths: ['/p'], users: 1, durationMs: 350, timeoutMs: 1_000 });

    expect(run.records.every((r) => r.status === 0 && r.error === 'ECONNREFUSED')).toBe(true);
    expect(run.records.length).toBeGreaterThanOrEqual(2);
    expect(run.records.length).toBeLessThanOrEqual(350 / RECONNECT_PAUSE_MS + 1);
  });

  it('when a server sends bytes nobody asked for, then the request fails instead of the next answer being misread', async () => {
    const origin = await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'));
    const run = await runClosedLoop({ origins: [origin], paths: ['/p'], users: 1, durationMs: 50, timeoutMs: 1_000 });

    expect(run.records.length).toBeGreaterThan(0);
    expect(run.records.every((r) => r.error === 'unexpected_data')).toBe(true);
  });

  it('when a response head cannot be framed, then it is refused rather than guessed', () => {
    expect(framingOf('HTTP/1.1 200 OK\r\nContent-Length: 12', 40)).toEqual({ kind: 'length', end: 52 });
    expect(framingOf('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked', 40)).toEqual({ kind: 'chunked', at: 40 });
    expect(framingOf('HTTP/1.1 200 OK\r\ncontent-length: 1x', 40)).toBeUndefined();
    expect(framingOf('HTTP/1.1 200 OK\r\nconnection: close', 40)).toBeUndefined();
    expect(framingOf('SSH-2.0-OpenSSH', 40)).toBeUndefined();
  });

  it('when a chunked body is read, then it says whether it is whole, needs more, or is malformed', () => {
    const whole = Buffer.from('3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\n\r\n');
    expect(readChunked(whole, 0)).toEqual({ body: Buffer.from('abcde'), end: whole.length });
    expect(readChunked(whole.subarray(0, whole.length - 1), 0)).toBe('incomplete');
    expect(readChunked(Buffer.from('3\r\nab'), 0)).toBe('incomplete');
    expect(readChunked(Buffer.from('zz\r\nabc\r\n'), 0)).toBe('bad');
    expect(readChunked(Buffer.from('2\r\nabc\r\n0\r\n\r\n'), 0)).toBe('bad');
    expect(readChunked(Buffer.from('0\r\nX-Trailer: 1\r\n\r\n'), 0)).toBe('bad');
  });
});
