import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { listen, type Running } from './in-process.js';

export type Misbehaviour = 'error500' | 'hang' | 'garbage' | 'redirect' | 'html200' | 'slow';

export interface FakeWorker extends Running {
  name: string;
  /** How many /is_prime requests reached it, and how many of those the client closed early. */
  seen: { requests: number; closedEarly: number };
}

/**
 * A worker that misbehaves in one chosen way on /is_prime (its /health_check answers, unless
 * `healthy` is false, in which case it hangs too). For fault tests of the balancer.
 */
export async function fakeWorker(
  name: string,
  behaviour: Misbehaviour,
  { slowMs = 1_000, healthy = true }: { slowMs?: number; healthy?: boolean } = {},
): Promise<FakeWorker> {
  const seen = { requests: 0, closedEarly: 0 };
  if (behaviour === 'garbage') return garbageWorker(name, seen);
  const app = express();
  app.get('/health_check', (_req, res) => {
    if (healthy) res.json({ status: 'ok', server: name, in_flight: 0 });
  });
  app.get('/is_prime/:n', (req, res) => {
    seen.requests += 1;
    res.on('close', () => {
      if (!res.writableFinished) seen.closedEarly += 1;
    });
    const answer = () => res.json({ number: req.params.n, is_prime: false, server: name, elapsed_ms: 0 });
    switch (behaviour) {
      case 'error500':
        res.status(500).json({ error: 'internal_error' });
        return;
      case 'redirect':
        res.redirect(302, 'http://169.254.169.254/latest/meta-data/');
        return;
      case 'html200':
        res.type('html').send('<h1>hello</h1>');
        return;
      case 'slow':
        setTimeout(answer, slowMs);
        return;
      case 'hang':
        return;
    }
  });
  const running = await listen(app);
  return { ...running, name, seen };
}

/** Speaks something that is not HTTP on every connection. */
async function garbageWorker(name: string, seen: FakeWorker['seen']): Promise<FakeWorker> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.once('data', () => {
      seen.requests += 1;
      socket.end('SSH-2.0-OpenSSH_9.2\r\n\u0000\u0001garbage\r\n\r\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    name,
    seen,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
