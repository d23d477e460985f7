import { connect, type Socket } from 'node:net';
import type { PhaseRun } from '../scripts/load-test/run-phase.js';
import { errorCode } from '../scripts/load-test/answer.js';
import type { RequestRecord } from '../scripts/load-test/types.js';

/**
 * A lean closed-loop HTTP/1.1 load generator for the mixed workload: one keep-alive connection
 * per user, each sending its next request when the last is answered, on raw sockets with the
 * requests prepared once and one timer for all the users' timeouts.
 *
 * Why not the load test's virtual users (undici): in the mixed workload they cost 300-430 µs
 * of CPU per request, and their garbage collector's pauses made up most of every target's light
 * p99, proxy or none (3.1–3.8 ms with no proxy at all, against about 0.75 ms with this one): the
 * instrument's own tail was larger than any proxy's. This one costs about 50 µs per request.
 *
 * It reads Content-Length and chunked bodies; a connection the server closes is opened again
 * for the next request. A request with no answer in `timeoutMs`, a connection refused or reset,
 * or a response it cannot read is recorded as failed (status 0) and the user carries on over a
 * new connection, after a pause if it could not connect.
 */
export interface ClosedLoopSpec {
  /** `http://host:port` of each target; user u talks to origins[u % origins.length]. */
  origins: string[];
  /** User u's i-th request asks for paths[(u + i) % paths.length]. */
  paths: string[];
  users: number;
  /** Users send until this long after the start; requests then in flight are awaited. */
  durationMs: number;
  timeoutMs: number;
  /**
   * A user's pause between an answer and its next request (default 0: none, the most load the
   * users can make). With a pause the load is steady and leaves CPU spare, as light traffic does.
   */
  pauseMs?: number;
  /** Recorded in every record, as the load test's phases are. */
  phase?: number;
}

/** After a failed connection, a user waits this long before the next try (no hot loop against a dead port). */
export const RECONNECT_PAUSE_MS = 100;

/** Epoch milliseconds on the monotonic clock: what every record's times and the run's bounds use. */
export const now = (): number => performance.timeOrigin + performance.now();

export function runClosedLoop(spec: ClosedLoopSpec): Promise<PhaseRun> {
  if (spec.origins.length === 0 || spec.paths.length === 0 || spec.users < 1) throw new Error('runClosedLoop needs an origin, a path and a user');
  const targets = spec.origins.map((origin) => {
    const url = new URL(origin);
    if (url.protocol !== 'http:') throw new Error(`runClosedLoop speaks plain HTTP only, not ${origin}`);
    const port = Number(url.port || 80);
    return { host: url.hostname, port, requests: spec.paths.map((path) => Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`, 'latin1')) };
  });
  const records: RequestRecord[] = [];
  // The records' clock: Date.now() can drift from it by seconds in a long run (seen on this VM).
  const startedAt = now();
  const until = now() + spec.durationMs;
  const users = Array.from({ length: spec.users }, (_, id) => new User(id, targets[id % targets.length]!, spec, until, records));
  return new Promise((resolve) => {
    let running = users.length;
    const finished = (): void => {
      running -= 1;
      if (running > 0) return;
      clearInterval(watchdog);
      const endedAt = records.reduce((end, r) => Math.max(end, r.start + r.latencyMs), startedAt);
      records.sort((a, b) => a.start - b.start);
      resolve({ records, startedAt, endedAt });
    };
    // One timer for every user's timeout instead of one per request.
    const watchdog = setInterval(() => {
      const t = now();
      for (const user of users) user.checkTimeout(t);
    }, Math.max(10, Math.min(250, spec.timeoutMs / 10)));
    for (const user of users) user.start(finished);
  });
}

interface Target {
  host: string;
  port: number;
  requests: Buffer[];
}

/** Where a response being read stands. */
type Framing = { kind: 'length'; end: number } | { kind: 'chunked'; at: number };

class User {
  private socket: Socket | undefined;
  private sent = 0;
  /** When the request in flight left (0: none in flight). */
  private startedAt = 0;
  private buffered: Buffer | undefined;
  private done: (() => void) | undefined;

  constructor(
    private readonly id: number,
    private readonly target: Target,
    private readonly spec: ClosedLoopSpec,
    private readonly until: number,
    private readonly records: RequestRecord[],
  ) {}

  start(done: () => void): void {
    this.done = done;
    this.next();
  }

  checkTimeout(t: number): void {
    if (this.startedAt !== 0 && t - this.startedAt > this.spec.timeoutMs) this.fail('timeout');
  }

  private next(): void {
    if (now() >= this.until) {
      this.socket?.destroy();
      this.socket = undefined;
      this.done?.();
      this.done = undefined;
      return;
    }
    const socket = this.socket ?? this.open();
    this.startedAt = now();
    socket.write(this.target.requests[(this.id + this.sent) % this.target.requests.length]!);
  }

  private open(): Socket {
    const socket = connect({ host: this.target.host, port: this.target.port, noDelay: true });
    this.socket = socket;
    this.buffered = undefined;
    let connected = false;
    socket.once('connect', () => (connected = true));
    socket.on('data', (chunk: Buffer) => {
      if (socket === this.socket) this.read(chunk);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (socket === this.socket) this.fail(err.code ?? err.name, !connected);
    });
    socket.on('close', () => {
      // Closed between requests (keep-alive ended): the next request opens a new one.
      if (socket !== this.socket) return;
      this.socket = undefined;
      if (this.startedAt !== 0) this.fail('connection_closed');
    });
    return socket;
  }

  /** The request in flight failed; the user goes on over a new connection. */
  private fail(reason: string, couldNotConnect = false): void {
    const start = this.startedAt;
    this.socket?.destroy();
    this.socket = undefined;
    if (start === 0) return;
    this.startedAt = 0;
    this.record(start, 0, null, reason);
    if (couldNotConnect) setTimeout(() => this.next(), RECONNECT_PAUSE_MS);
    else this.next();
  }

  private read(chunk: Buffer): void {
    this.buffered = this.buffered ? Buffer.concat([this.buffered, chunk]) : chunk;
    if (this.startedAt === 0) return this.fail('unexpected_data');
    const data = this.buffered;
    const headEnd = data.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const head = data.toString('latin1', 0, headEnd);
    const framing = framingOf(head, headEnd + 4);
    if (!framing) return this.fail('bad_response');
    let body: Buffer;
    let end: number;
    if (framing.kind === 'length') {
      if (data.length < framing.end) return;
      body = data.subarray(headEnd + 4, framing.end);
      end = framing.end;
    } else {
      const chunked = readChunked(data, framing.at);
      if (chunked === 'incomplete') return;
      if (chunked === 'bad') return this.fail('bad_response');
      ({ body, end } = chunked);
    }
    if (end < data.length) return this.fail('unexpected_data');
    const start = this.startedAt;
    this.startedAt = 0;
    this.buffered = undefined;
    const status = Number(head.slice(9, 12));
    const error = status === 200 ? null : `${status} ${errorCode(body.toString('utf8'))}`;
    this.record(start, status, header(head, 'x-served-by'), error);
    if (/\r\nconnection:\s*close/i.test(head)) {
      this.socket?.destroy();
      this.socket = undefined;
    }
    if (this.spec.pauseMs) setTimeout(() => this.next(), this.spec.pauseMs);
    else this.next();
  }

  private record(start: number, status: number, server: string | null, error: string | null): void {
    const path = this.spec.paths[(this.id + this.sent) % this.spec.paths.length]!;
    this.records.push({ phase: this.spec.phase ?? 1, user: this.id, path, start, latencyMs: now() - start, status, server, error });
    this.sent += 1;
  }
}

const HEADERS = {
  'content-length': /\r\ncontent-length:[ \t]*([^\r]*)/i,
  'transfer-encoding': /\r\ntransfer-encoding:[ \t]*([^\r]*)/i,
  'x-served-by': /\r\nx-served-by:[ \t]*([^\r]*)/i,
};

function header(head: string, name: keyof typeof HEADERS): string | null {
  const match = HEADERS[name].exec(head);
  return match ? match[1]!.trim() : null;
}

/** How the body after a response head (ending at `bodyStart`) is framed; undefined if it is not a response this can read. */
export function framingOf(head: string, bodyStart: number): Framing | undefined {
  if (!/^HTTP\/1\.[01] \d{3}/.test(head)) return undefined;
  const length = header(head, 'content-length');
  if (length !== null) return /^\d+$/.test(length) ? { kind: 'length', end: bodyStart + Number(length) } : undefined;
  if (/^chunked$/i.test(header(head, 'transfer-encoding') ?? '')) return { kind: 'chunked', at: bodyStart };
  return undefined;
}

/** A chunked body from `at`: the body and where it ends, or whether more bytes are needed or it is malformed. */
export function readChunked(data: Buffer, at: number): { body: Buffer; end: number } | 'incomplete' | 'bad' {
  const parts: Buffer[] = [];
  let i = at;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', i);
    if (lineEnd < 0) return 'incomplete';
    const size = Number.parseInt(data.toString('latin1', i, lineEnd).split(';')[0]!.trim(), 16);
    if (!Number.isFinite(size) || size < 0) return 'bad';
    if (size === 0) {
      // No trailers from the servers measured here: the last chunk is followed by an empty line.
      if (data.length < lineEnd + 4) return 'incomplete';
      if (data.toString('latin1', lineEnd + 2, lineEnd + 4) !== '\r\n') return 'bad';
      return { body: Buffer.concat(parts), end: lineEnd + 4 };
    }
    const chunkEnd = lineEnd + 2 + size;
    if (data.length < chunkEnd + 2) return 'incomplete';
    if (data[chunkEnd] !== 0x0d || data[chunkEnd + 1] !== 0x0a) return 'bad';
    parts.push(data.subarray(lineEnd + 2, chunkEnd));
    i = chunkEnd + 2;
  }
}
