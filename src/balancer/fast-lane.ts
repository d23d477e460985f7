import { STATUS_CODES, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { trackOwnConnections, type RequestTracker } from '../shared/close-server.js';
import { Cancellation } from './cancellation.js';
import { INCOMPLETE, OTHER, readSimpleRequest, type SimpleRequest } from './http1-request.js';
import type { PrimeHandler } from './proxy.js';

/** Requests one connection may have in progress (pipelined) before we stop reading from it. */
const MAX_IN_PROGRESS = 16;
/** What Node's ServerResponse refuses in a header value (its checkInvalidHeaderChar). */
const INVALID_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
/**
 * Node's server keeps an idle connection this much longer than the `Keep-Alive: timeout` it
 * announces, so that a client reusing it just in time does not meet a connection being closed
 * (HTTP_SERVER_KEEP_ALIVE_TIMEOUT_BUFFER in Node's _http_server.js).
 */
const KEEP_ALIVE_GRACE_MS = 1_000;

/**
 * Puts the balancer's own connection handling ahead of Node's HTTP server. Node's server costs
 * more CPU per request than all of our own code on the hot path together (BENCHMARKS.md), and
 * at a few hundred requests a second that cost is latency. So every new connection starts here:
 * requests of a strict, simple form (http1-request.ts: `GET`/`HEAD /is_prime/…`, no body, plain
 * headers) go straight to `handle`, the same handler Node's path uses, and are answered here in
 * order. The first request of any other form — another route, a body, an odd header, a request
 * split over reads — hands the connection to Node's server for the rest of its life, with the
 * bytes not yet consumed, once the answers already owed on it are written. Node then reads,
 * answers or refuses that request exactly as it would have without this lane.
 *
 * The lane keeps Node's behaviour where a client can see it: `Date`, `Connection` and
 * `Keep-Alive` headers; a new connection waits up to `server.headersTimeout` for its first
 * request, an idle one `server.keepAliveTimeout` (plus Node's grace second) for the next;
 * `Connection: close` honoured; a client's half-close treated as a hang-up; answers to
 * pipelined requests in order, with back-pressure; and `closeServer` (close-server.ts) drains
 * these connections as it does Node's. One difference, on purpose: bytes a client sends after
 * a `Connection: close` request are dropped, where Node answers them with a 400 that can cut
 * off the answer still owed.
 */
export function attachFastLane(server: Server, handle: PrimeHandler): void {
  const nodeListeners = server.listeners('connection') as Array<(this: Server, socket: Socket) => void>;
  server.removeAllListeners('connection');
  const open = new Set<LaneConnection>();
  const tracker = trackOwnConnections(server, {
    closeIdle: () => {
      for (const connection of open) connection.closeIfIdle();
    },
    closeAll: () => {
      for (const connection of open) connection.destroy();
    },
  });
  server.on('connection', (socket: Socket) => {
    const connection = new LaneConnection(socket, {
      server,
      handle,
      tracker,
      forget: () => open.delete(connection),
      handOff: () => {
        for (const listener of nodeListeners) listener.call(server, socket);
      },
    });
    open.add(connection);
  });
}

interface LaneContext {
  server: Server;
  handle: PrimeHandler;
  tracker: RequestTracker;
  /** The connection is no longer ours (closed, or handed to Node). */
  forget: () => void;
  /** Gives the socket to Node's HTTP server. */
  handOff: () => void;
}

/** A request read on the connection, in arrival order; its answer waits for those before it. */
interface InProgress {
  hangUp: Cancellation;
  head: boolean;
  keepAlive: boolean;
  /** The whole answer, once there is one. */
  response: string | undefined;
  /** Whether the answer says `Connection: close`. */
  closes: boolean;
}

class LaneConnection {
  /** Bytes read and not yet consumed, as latin1 (one character per byte). */
  private text = '';
  private readonly inProgress: InProgress[] = [];
  /** No more requests are read: the connection is closing, or is to be handed to Node. */
  private stopped = false;
  private handingOff = false;
  /** The connection is closing, closed or handed to Node: nothing more is done here. */
  private done = false;
  private advancing = false;
  private paused = false;
  private waitingForDrain = false;
  /** Whether an answer has been written: until then, the connection is new, not idle. */
  private answered = false;
  /** Ours while the connection is; all removed at hand-off. Only 'data' uses its argument. */
  private readonly listeners: ReadonlyArray<[string, (chunk: Buffer) => void]> = [
    ['data', (chunk: Buffer) => this.onData(chunk)],
    ['end', () => this.onEnd()],
    ['close', () => this.onClose()],
    ['drain', () => this.onDrain()],
    ['timeout', () => this.onTimeout()],
    // Errors (a reset) are followed by 'close', which does the cleaning up.
    ['error', ignore],
  ];

  constructor(
    private readonly socket: Socket,
    private readonly ctx: LaneContext,
  ) {
    for (const [event, listener] of this.listeners) socket.on(event, listener);
    // Node's net timer restarts on every read and write, so this fires after that long
    // without either; onTimeout ignores it while an answer is being worked on. Until the first
    // answer it is Node's wait for a first request; then the keep-alive wait (below).
    socket.setTimeout(ctx.server.headersTimeout);
  }

  /**
   * At shutdown, as Node's closeIdleConnections: only a connection that has been answered and
   * has nothing in progress, half-read or still being sent. A new one may be about to send its
   * first request; it is answered (with `Connection: close`) or closed by `closeAll`.
   */
  closeIfIdle(): void {
    if (this.answered && this.inProgress.length === 0 && this.text.length === 0 && this.socket.writableLength === 0) this.destroy();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    // Bytes after a request for Node are kept for Node; after `Connection: close`, dropped.
    if (this.done || (this.stopped && !this.handingOff)) return;
    this.text = this.text.length === 0 ? chunk.toString('latin1') : this.text + chunk.toString('latin1');
    this.advance();
  }

  /**
   * Reads the requests that can be read and writes the answers that are ready, then decides
   * what the connection does next: wait for answers, go to Node, close, or wait for the
   * client. Runs after every read, every answer and every drain; never re-entered.
   */
  private advance(): void {
    if (this.done || this.advancing) return;
    this.advancing = true;
    let progress = true;
    while (progress && !this.done) {
      const read = !this.stopped && this.readRequests();
      progress = this.writeReady() || read;
    }
    this.advancing = false;
    if (this.done) return;
    if (this.inProgress.length > 0) {
      this.setPaused(this.waitingForDrain || this.handingOff || this.inProgress.length >= MAX_IN_PROGRESS);
    } else if (this.handingOff || (!this.stopped && this.text.length > 0)) {
      // Nothing owed any more: a request of another form, or part of one, is Node's to read.
      this.handOff();
    } else if (this.stopped || this.ctx.tracker.closing) {
      this.done = true;
      // As Node's destroySoon: once the last answer is out the connection is gone, whatever
      // the client goes on sending.
      this.socket.end();
      if (this.socket.writableFinished) this.socket.destroy();
      else this.socket.once('finish', () => this.socket.destroy());
    } else {
      this.setPaused(this.waitingForDrain);
    }
  }

  /** Starts every complete simple request in the bytes read; whether it started one. */
  private readRequests(): boolean {
    let from = 0;
    let started = false;
    while (!this.stopped && this.inProgress.length < MAX_IN_PROGRESS && from < this.text.length) {
      const request = readSimpleRequest(this.text, from);
      if (request === INCOMPLETE) break;
      if (request === OTHER) {
        this.stopped = true;
        this.handingOff = true;
        break;
      }
      from = request.end;
      // Whatever a client sends after `Connection: close` is not read (see attachFastLane).
      if (!request.keepAlive) this.stopped = true;
      this.start(request);
      started = true;
    }
    this.text = this.stopped && !this.handingOff ? '' : this.text.slice(from);
    return started;
  }

  private start(request: SimpleRequest): void {
    const entry: InProgress = { hangUp: new Cancellation(), head: request.method === 'HEAD', keepAlive: request.keepAlive, response: undefined, closes: false };
    this.inProgress.push(entry);
    this.ctx.tracker.started(entry);
    this.ctx.handle(
      { method: request.method, url: request.url, requestIdHeader: request.requestId },
      { hangUp: entry.hangUp, send: (status, headers, body) => this.answer(entry, status, headers, body) },
    );
  }

  private answer(entry: InProgress, status: number, headers: string[], body: Buffer | string): void {
    if (this.done || entry.response !== undefined) return;
    // Throws before anything is written, as Node's writeHead does: the handler answers 500.
    const closes = !entry.keepAlive || this.ctx.tracker.closing;
    entry.response = serialize(status, headers, entry.head ? undefined : body, closes, this.ctx.server.keepAliveTimeout);
    entry.closes = closes;
    // Written at once when it is first in line; otherwise when those before it are.
    this.advance();
  }

  /** Writes the answers that are next in line, in the order their requests came; whether it wrote. */
  private writeReady(): boolean {
    let wrote = false;
    const { tracker } = this.ctx;
    while (this.inProgress.length > 0 && this.inProgress[0]!.response !== undefined) {
      const entry = this.inProgress.shift()!;
      wrote = true;
      if (!this.answered) {
        this.answered = true;
        const { keepAliveTimeout } = this.ctx.server;
        this.socket.setTimeout(keepAliveTimeout > 0 ? keepAliveTimeout + KEEP_ALIVE_GRACE_MS : 0);
      }
      // Counted as answered once the bytes are with the kernel, so that shutdown, which
      // closes every connection once nothing is being answered, does not cut them off.
      if (!this.socket.write(entry.response!, 'latin1', () => tracker.ended(entry))) this.waitingForDrain = true;
      if (entry.closes) {
        this.stopped = true;
        this.handingOff = false;
        this.text = '';
        this.abandon();
      }
    }
    return wrote;
  }

  /** Gives up the requests still in progress: their client will not read their answers. */
  private abandon(): void {
    for (const entry of this.inProgress.splice(0)) {
      entry.hangUp.cancel();
      this.ctx.tracker.ended(entry);
    }
  }

  private handOff(): void {
    const { socket } = this;
    this.done = true;
    for (const [event, listener] of this.listeners) socket.off(event, listener);
    socket.setTimeout(0);
    // Paused first: unshifted bytes on a flowing socket would be emitted to no listener.
    socket.pause();
    if (this.text.length > 0) socket.unshift(Buffer.from(this.text, 'latin1'));
    this.text = '';
    this.ctx.forget();
    this.ctx.handOff();
    socket.resume();
  }

  private setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    if (paused) this.socket.pause();
    else this.socket.resume();
  }

  private onDrain(): void {
    this.waitingForDrain = false;
    this.advance();
  }

  // As Node's server does by default (no half-open connections): the client is gone.
  private onEnd(): void {
    this.done = true;
    this.abandon();
    this.socket.end();
  }

  private onClose(): void {
    this.done = true;
    this.abandon();
    this.ctx.forget();
  }

  private onTimeout(): void {
    if (this.inProgress.length > 0) return;
    if (this.answered) {
      this.socket.destroy();
      return;
    }
    // No first request in time: Node's server reports that as a client error, and the
    // server's one mapping of client errors (http-server.ts) answers it.
    this.done = true;
    this.abandon();
    this.ctx.forget();
    const error: NodeJS.ErrnoException = new Error('no request within headersTimeout');
    error.code = 'ERR_HTTP_REQUEST_TIMEOUT';
    if (!this.ctx.server.emit('clientError', error, this.socket)) this.socket.destroy();
  }
}

function ignore(): void {}

let dateSecond = -1;
let dateText = '';

/** The `Date` header, made once a second as Node's server does. */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}

/** The whole answer, head and body, as latin1 (one character per byte) for a single write. */
function serialize(status: number, headers: readonly string[], body: Buffer | string | undefined, closes: boolean, keepAliveMs: number): string {
  let text = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'unknown'}\r\n`;
  for (let i = 0; i < headers.length; i += 2) {
    const value = headers[i + 1]!;
    if (INVALID_HEADER_VALUE.test(value)) throw new TypeError(`invalid character in the value of header ${headers[i]}`);
    text += `${headers[i]}: ${value}\r\n`;
  }
  text += `Date: ${httpDate()}\r\n`;
  // As Node: no Keep-Alive header when its timeout is off (0).
  if (closes) text += 'Connection: close\r\n\r\n';
  else if (keepAliveMs > 0) text += `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(keepAliveMs / 1000)}\r\n\r\n`;
  else text += 'Connection: keep-alive\r\n\r\n';
  if (body === undefined) return text;
  return text + (typeof body === 'string' ? Buffer.from(body).toString('latin1') : body.toString('latin1'));
}
