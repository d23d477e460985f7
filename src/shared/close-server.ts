import type { Server } from 'node:http';

/** Requests in flight per server, counted from the start so that shutdown knows when it is done. */
const inFlight = new WeakMap<Server, { count: number; onIdle: (() => void) | undefined }>();

/** Counts the requests a server is answering; `closeServer` waits for them. */
export function trackRequests(server: Server): void {
  const state = { count: 0, onIdle: undefined as (() => void) | undefined };
  inFlight.set(server, state);
  server.on('request', (_req, res) => {
    state.count += 1;
    res.once('close', () => {
      state.count -= 1;
      if (state.count === 0) state.onIdle?.();
    });
  });
}

/**
 * Stops accepting connections and resolves once every open one has ended. A request in flight
 * always gets its answer; then every connection is closed, including keep-alive ones and ones
 * that a client opened but never used (undici opens those, and would hold them for seconds).
 */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    const state = inFlight.get(server);
    if (!state) {
      server.closeAllConnections();
      return;
    }
    const finish = () => server.closeAllConnections();
    server.closeIdleConnections();
    if (state.count === 0) finish();
    else state.onIdle = finish;
  });
}
