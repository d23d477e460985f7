import { ServerResponse, type Server } from 'node:http';

/**
 * Connections that a server handles itself, outside Node's HTTP server (the balancer's fast
 * lane): `closeServer` closes them with Node's own.
 */
export interface OwnConnections {
  /** Closes connections with no request in progress; the others close after their answers. */
  closeIdle(): void;
  /** Closes every one at once. */
  closeAll(): void;
}

interface Tracker {
  /** Requests being answered: Node's responses, and the fast lane's own keys. */
  answering: Set<object>;
  closing: boolean;
  onIdle: (() => void) | undefined;
  own: OwnConnections[];
}

/** What a server's own connection handling tells shutdown, and learns from it. */
export interface RequestTracker {
  /** True once `closeServer` has begun: answers then say `Connection: close`. */
  readonly closing: boolean;
  started(key: object): void;
  ended(key: object): void;
}

/** The responses each server is writing, so that shutdown knows when it is done. */
const trackers = new WeakMap<Server, Tracker>();

/** Counts the requests a server is answering; `closeServer` waits for them. */
export function trackRequests(server: Server): void {
  const tracker: Tracker = { answering: new Set(), closing: false, onIdle: undefined, own: [] };
  trackers.set(server, tracker);
  // Ahead of the app's listener: an app that answers synchronously (a health check) has
  // already sent its headers by the time a later listener runs.
  server.prependListener('request', (_req, res: ServerResponse) => {
    // A keep-alive client that keeps sending during shutdown is answered, then let go.
    if (tracker.closing && !res.headersSent) res.setHeader('Connection', 'close');
    tracker.answering.add(res);
    res.once('close', () => ended(tracker, res));
  });
}

function ended(tracker: Tracker, key: object): void {
  tracker.answering.delete(key);
  if (tracker.answering.size === 0) tracker.onIdle?.();
}

/**
 * Lets connections a server handles itself (`own`) take part in `closeServer`: their requests
 * are waited for, and they are closed with Node's. The server must have `trackRequests`.
 */
export function trackOwnConnections(server: Server, own: OwnConnections): RequestTracker {
  const tracker = trackers.get(server);
  if (!tracker) throw new Error('trackOwnConnections: the server has no request tracking');
  tracker.own.push(own);
  return {
    get closing() {
      return tracker.closing;
    },
    started: (key) => void tracker.answering.add(key),
    ended: (key) => ended(tracker, key),
  };
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
    for (const res of tracker.answering) {
      if (res instanceof ServerResponse && !res.headersSent) res.setHeader('Connection', 'close');
    }
    server.closeIdleConnections();
    for (const own of tracker.own) own.closeIdle();
    // A request may be on its way on an open connection when the count touches zero: give it
    // a moment to arrive (it is then answered, with Connection: close) before closing all.
    const finish = (): void => {
      setTimeout(() => {
        if (tracker.answering.size === 0) {
          server.closeAllConnections();
          for (const own of tracker.own) own.closeAll();
        }
        else tracker.onIdle = finish;
      }, graceMs);
    };
    if (tracker.answering.size === 0) finish();
    else tracker.onIdle = finish;
  });
}
