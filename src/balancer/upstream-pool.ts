import net from 'node:net';
import tls from 'node:tls';
import type { Cancellation } from './cancellation.js';
import { ResponseParser, type ParsedResponse, type ResponseLimits } from './http1-response.js';
import { classifyError, type UpstreamFailure } from './upstream-status.js';

export type Exchange = { ok: true; response: ParsedResponse } | ({ ok: false } & UpstreamFailure);

export interface PoolOptions {
  connectTimeoutMs: number;
  /** A connection idle longer than this is not reused (workers close theirs after 5 s). */
  keepAliveMs: number;
  limits: ResponseLimits;
}

/** What a try on one connection came to; `untouched`: it failed before any byte of an answer. */
type Outcome = { ok: true; response: ParsedResponse } | { ok: false; failure: UpstreamFailure; untouched: boolean };

/** Where plain connections read into; each read is handled (and copied) before the next. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** A request line and headers are ours; this keeps anything that could split them out. */
const UNSAFE = /[^\x21-\x7e]/;

/**
 * The balancer's HTTP/1.1 client to workers: kept-alive connections per worker, one request
 * at a time on each (no pipelining), GET only. It exists because the general clients cost
 * more per request than the rest of the balancer together (undici's dispatch about 70 µs of
 * CPU here, this about 20: see BENCHMARKS.md), on the path every request takes.
 *
 * A request sent on a kept-alive connection at the instant the worker closes it fails
 * without a byte of answer; it is sent once more on a new connection (a GET of ours is safe
 * to repeat), so a worker's idle timeout never looks like a worker failure.
 */
export class UpstreamPool {
  private readonly origins = new Map<string, Origin>();
  private closed = false;
  /**
   * Closes connections idle too long: a Node worker closes its own after 5 s, but one that
   * vanished without a word (a cut link, a machine gone) or never times out would keep them.
   */
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: PoolOptions) {
    this.sweeper = setInterval(() => {
      for (const origin of [...this.origins.values()]) origin.closeStale();
    }, options.keepAliveMs);
    this.sweeper.unref();
  }

  /**
   * `GET path` at `origin` (`http://host:port` or `https://…`). Never rejects: failures come
   * back as data. `timeoutMs` bounds the whole exchange, connecting included; `cancellation`
   * ends it at once (the connection is closed, so the worker sees it).
   */
  request(
    origin: string,
    path: string,
    requestId: string | undefined,
    timeoutMs: number,
    cancellation: Cancellation | undefined,
  ): Promise<Exchange> {
    if (this.closed) return Promise.resolve({ ok: false, kind: 'connection', message: 'the balancer is shutting down' });
    if (cancellation?.cancelled) return Promise.resolve({ ok: false, kind: 'aborted', message: 'cancelled' });
    if (UNSAFE.test(path) || (requestId !== undefined && UNSAFE.test(requestId))) {
      return Promise.resolve({ ok: false, kind: 'connection', message: 'refused to send an unsafe path or request id' });
    }
    let pool = this.origins.get(origin);
    if (!pool) {
      const parsed = Origin.parse(origin, this.options, this.origins);
      if (typeof parsed === 'string') return Promise.resolve({ ok: false, kind: 'connection', message: parsed });
      pool = parsed;
    }
    const id = requestId === undefined ? '' : `x-request-id: ${requestId}\r\n`;
    const message = `GET ${path} HTTP/1.1\r\nhost: ${pool.hostHeader}\r\n${id}accept: application/json\r\n\r\n`;

    return new Promise<Exchange>((resolve) => {
      let connection: Connection | undefined;
      let settled = false;
      let timer: NodeJS.Timeout | undefined = undefined; // both set below, before anything can settle
      let unsubscribe = (): void => {};
      const settle = (result: Exchange): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        unsubscribe();
        resolve(result);
      };
      // Timed out or cancelled mid-answer: the connection is out of step, so it goes.
      const stop = (result: Exchange): void => {
        settle(result);
        connection?.abandon();
      };
      timer = setTimeout(() => stop({ ok: false, kind: 'timeout', message: `no answer within ${timeoutMs} ms` }), timeoutMs);
      if (cancellation) unsubscribe = cancellation.onCancel(() => stop({ ok: false, kind: 'aborted', message: 'cancelled' }));

      const send = (conn: Connection, mayRepeat: boolean): void => {
        connection = conn;
        conn.send(message, (outcome) => {
          if (outcome.ok) settle(outcome);
          else if (mayRepeat && outcome.untouched && !settled) send(pool.fresh(), false);
          else settle({ ok: false, ...outcome.failure });
        });
      };
      const reused = pool.take();
      send(reused ?? pool.fresh(), reused !== undefined);
    });
  }

  /** Closes every connection; requests still waiting fail as connection failures. */
  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const origin of [...this.origins.values()]) origin.destroyAll();
  }
}

/**
 * One worker's connections. It is listed in `origins` while it has connections open, so that workers long
 * gone leave nothing behind.
 */
class Origin {
  private readonly idle: Connection[] = [];
  private readonly open = new Set<Connection>();

  private constructor(
    readonly origin: string,
    readonly host: string,
    readonly port: number,
    readonly secure: boolean,
    readonly hostHeader: string,
    readonly options: PoolOptions,
    private readonly origins: Map<string, Origin>,
  ) {}

  static parse(origin: string, options: PoolOptions, origins: Map<string, Origin>): Origin | string {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return `not a URL: ${origin}`;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return `not an http(s) address: ${origin}`;
    const secure = url.protocol === 'https:';
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
    return new Origin(origin, host, port, secure, url.host, options, origins);
  }

  /** The most recently used idle connection that is still fresh enough, if any. */
  take(): Connection | undefined {
    const now = performance.now();
    for (let conn = this.idle.pop(); conn; conn = this.idle.pop()) {
      if (now - conn.idleSince < this.options.keepAliveMs) return conn;
      conn.abandon();
    }
    return undefined;
  }

  /** Idle connections are stacked oldest first. */
  closeStale(): void {
    const now = performance.now();
    while (this.idle.length > 0 && now - this.idle[0]!.idleSince >= this.options.keepAliveMs) this.idle[0]!.abandon();
  }

  fresh(): Connection {
    const conn = new Connection(this);
    this.open.add(conn);
    this.origins.set(this.origin, this);
    return conn;
  }

  release(conn: Connection): void {
    conn.idleSince = performance.now();
    this.idle.push(conn);
  }

  forget(conn: Connection): void {
    this.open.delete(conn);
    const index = this.idle.indexOf(conn);
    if (index !== -1) this.idle.splice(index, 1);
    if (this.open.size === 0 && this.origins.get(this.origin) === this) this.origins.delete(this.origin);
  }

  destroyAll(): void {
    for (const conn of [...this.open]) conn.fail({ kind: 'connection', message: 'the balancer is shutting down' }, false);
  }
}

/** One kept-alive connection to a worker, answering one request at a time. */
class Connection {
  idleSince = 0;
  private readonly socket: net.Socket;
  private parser: ResponseParser | undefined;
  private onOutcome: ((outcome: Outcome) => void) | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly origin: Origin) {
    const { host, port, secure, options } = origin;
    if (secure) {
      this.socket = tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ALPNProtocols: ['http/1.1'] });
      this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    } else {
      // Read into one buffer that all connections share, instead of a new one per read and the
      // stream's machinery around it. Each read is copied out at once: a worker's answer is a
      // few hundred bytes, and the parser may keep a read until the answer is complete.
      const callback = (size: number, buffer: Uint8Array): boolean => {
        this.onData(Buffer.from(buffer.subarray(0, size)));
        return true; // false would pause the socket
      };
      this.socket = net.connect({ host, port, noDelay: true, onread: { buffer: READ_BUFFER, callback } });
    }
    this.connectTimer = setTimeout(
      () => this.fail({ kind: 'timeout', message: `could not connect within ${options.connectTimeoutMs} ms` }, false),
      options.connectTimeoutMs,
    );
    this.socket.once(secure ? 'secureConnect' : 'connect', () => {
      clearTimeout(this.connectTimer);
      if (secure) this.socket.setNoDelay(true);
    });
    this.socket.on('end', () => this.onEnd());
    this.socket.on('error', (err) => this.fail(classifyError(err), this.parser?.started === false));
    this.socket.on('close', () => this.fail({ kind: 'connection', message: 'connection closed before the answer was complete' }, this.parser?.started === false));
  }

  /** Writes the request; `onOutcome` is called once, unless the exchange abandons it first. */
  send(message: string, onOutcome: (outcome: Outcome) => void): void {
    this.parser = new ResponseParser(this.origin.options.limits);
    this.onOutcome = onOutcome;
    // Written before the connection is up, it goes out as soon as it is.
    this.socket.write(message);
  }

  private onData(chunk: Buffer): void {
    const parser = this.parser;
    // Bytes past an answer in the same read are caught (`extra`); bytes a broken worker sends
    // later, after the connection went back to the pool, are caught here if it is still idle,
    // or else read as the next answer, which then fails to parse (almost always) and counts
    // against the worker.
    if (!parser) {
      // Bytes nobody asked for: whatever the worker is doing, this connection is out of step.
      this.abandon();
      return;
    }
    const step = parser.push(chunk);
    if (step.state === 'more') return;
    if (step.state === 'error') {
      this.fail({ kind: 'bad_response', message: step.message }, false);
      return;
    }
    this.deliver(step.response, step.extra === 0);
  }

  private onEnd(): void {
    const parser = this.parser;
    if (parser) {
      const step = parser.end();
      if (step.state === 'done') this.deliver(step.response, false);
      else this.fail({ kind: 'connection', message: step.message }, !parser.started);
    }
    this.abandon();
  }

  private deliver(response: ParsedResponse, reusable: boolean): void {
    const onOutcome = this.onOutcome;
    this.parser = undefined;
    this.onOutcome = undefined;
    if (reusable && response.keepAlive) this.origin.release(this);
    else this.abandon();
    onOutcome?.({ ok: true, response });
  }

  fail(failure: UpstreamFailure, untouched: boolean): void {
    const onOutcome = this.onOutcome;
    this.abandon();
    onOutcome?.({ ok: false, failure, untouched });
  }

  /** Closes the connection without a word to whoever was waiting on it. */
  abandon(): void {
    this.parser = undefined;
    this.onOutcome = undefined;
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.connectTimer);
    this.origin.forget(this);
    this.socket.destroy();
  }
}
