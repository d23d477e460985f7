import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';

/** Node's HTTP server for an app, and its graceful close. */
export interface HttpServer {
  readonly server: Server;
  /**
   * Stops accepting connections and resolves once every open one has ended. Every request in
   * flight gets its answer, with `Connection: close` so that keep-alive clients go away (one
   * whose body has not all arrived is cut off: it may never arrive); then
   * the remaining connections are closed, including ones a client opened but never used
   * (undici opens those, and would hold them for seconds).
   */
  close(): Promise<void>;
}

const REQUEST_TIMEOUT_MS = 30_000;
/** How long `close` waits, once nothing is being answered, for a request on its way. */
const GRACE_MS = 50;

/**
 * Node's HTTP server (llhttp reads every request; a request it cannot parse is answered by
 * Node itself, 400, 431 or 408, and the connection closed) with the requests it is answering
 * counted, so that `close` knows when it is done. Does not listen.
 */
export function createHttpServer(app: RequestListener): HttpServer {
  // A request's body (2 kB at most here) has 30 s to arrive, not Node's 300: a client that
  // trickles one holds a connection no longer than that.
  const server = createServer({ maxHeaderSize: 16 * 1024, requestTimeout: REQUEST_TIMEOUT_MS }, app);
  const answering = new Map<ServerResponse, IncomingMessage>();
  let closing = false;
  let onIdle: (() => void) | undefined;

  // Ahead of the app's listener: an app that answers synchronously (a health check) has
  // already sent its headers by the time a later listener runs.
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    // A keep-alive client that keeps sending during shutdown is answered, then let go.
    if (closing && !res.headersSent) res.setHeader('Connection', 'close');
    answering.set(res, req);
    res.once('close', () => {
      answering.delete(res);
      if (answering.size === 0) onIdle?.();
    });
  });

  const close = (): Promise<void> =>
    new Promise((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      closing = true;
      for (const [res, req] of answering) {
        // A request whose body has not all arrived may never finish arriving: do not wait for it.
        if (!req.complete) res.destroy();
        else if (!res.headersSent) res.setHeader('Connection', 'close');
      }
      server.closeIdleConnections();
      // A request may be on its way on an open connection when the count touches zero: give it
      // a moment to arrive (it is then answered, with Connection: close) before closing all.
      const finish = (): void => {
        onIdle = undefined;
        setTimeout(() => {
          if (answering.size === 0) server.closeAllConnections();
          else onIdle = finish;
        }, GRACE_MS);
      };
      if (answering.size === 0) finish();
      else onIdle = finish;
    });

  return { server, close };
}
