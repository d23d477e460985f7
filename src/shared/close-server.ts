import type { Server, ServerResponse } from 'node:http';

interface Tracker {
  answering: Set<ServerResponse>;
  closing: boolean;
  onIdle: (() => void) | undefined;
}

/** The responses each server is writing, so that shutdown knows when it is done. */
const trackers = new WeakMap<Server, Tracker>();

/** Counts the requests a server is answering; `closeServer` waits for them. */
export function trackRequests(server: Server): void {
  const tracker: Tracker = { answering: new Set(), closing: false, onIdle: undefined };
  trackers.set(server, tracker);
  // Ahead of the app's listener: an app that answers synchronously (a health check) has
  // already sent its headers by the time a later listener runs.
  server.prependListener('request', (_req, res: ServerResponse) => {
    // A keep-alive client that keeps sending during shutdown is answered, then let go.
    if (tracker.closing && !res.headersSent) res.setHeader('Connection', 'close');
    tracker.answering.add(res);
    res.once('close', () => {
      tracker.answering.delete(res);
      if (tracker.answering.size === 0) tracker.onIdle?.();
    });
  });
}

/**
 * Stops accepting connections and resolves once every open one has ended. Every request in
 * flight gets its answer, with `Connection: close` so that keep-alive clients go away; then
 * the remaining connections are closed, including ones a client opened but never used
 * (undici opens those, and would hold them for seconds).
 */
export function closeServer(server: Server, graceMs = 50): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    const tracker = trackers.get(server);
    if (!tracker) {
      server.closeAllConnections();
      return;
    }
    tracker.closing = true;
    for (const res of tracker.answering) if (!res.headersSent) res.setHeader('Connection', 'close');
    server.closeIdleConnections();
    // A request may be on its way on an open connection when the count touches zero: give it
    // a moment to arrive (it is then answered, with Connection: close) before closing all.
    const finish = (): void => {
      setTimeout(() => {
        if (tracker.answering.size === 0) server.closeAllConnections();
        else tracker.onIdle = finish;
      }, graceMs);
    };
    if (tracker.answering.size === 0) finish();
    else tracker.onIdle = finish;
  });
}
