/**
 * The least a Node.js proxy can do per request, for one comparison in BENCHMARKS.md: how close
 * to nginx Node itself gets once everything of ours is gone. Raw sockets towards the client,
 * round robin, and either raw sockets or undici towards the workers. No logging, metrics,
 * queue, validation, retries, timeouts or limits.
 *
 * NOT a product and not safe to expose: it trusts its clients and its workers completely
 * (no pipelining, bodies or chunked answers; a malformed message hangs its connection).
 *
 * `hedged=<ms>` is `raw` plus hedging: a light request (a number of at most 19 digits) not
 * answered within <ms> also goes to the next worker, and the first answer wins.
 *
 *   node dist/bench/minimal-proxy.js <port> <raw|undici|hedged=<ms>> <host:port> [<host:port>…]
 */
import net from 'node:net';
import { Agent, type Dispatcher } from 'undici';

const [portText, mode, ...workers] = process.argv.slice(2);
const hedgeMs = mode?.startsWith('hedged=') ? Number(mode.slice('hedged='.length)) : undefined;
if (!portText || (mode !== 'raw' && mode !== 'undici' && !(hedgeMs! > 0)) || workers.length === 0) {
  console.error('usage: minimal-proxy.js <port> <raw|undici|hedged=<ms>> <host:port>…');
  process.exit(2);
}

type Reply = (status: number, body: Buffer) => void;
const HEAD_END = Buffer.from('\r\n\r\n');

/** Idle keep-alive connections per worker, each answering one request at a time. */
const idle = new Map<string, RawUpstream[]>(workers.map((w) => [w, []]));

class RawUpstream {
  private readonly socket: net.Socket;
  private pending: Buffer | undefined;
  private reply: Reply | undefined;

  constructor(private readonly worker: string) {
    const [host, port] = worker.split(':');
    this.socket = net.connect(Number(port), host);
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', () => this.fail());
    this.socket.on('close', () => this.fail());
  }

  send(path: string, requestId: string, reply: Reply): void {
    this.reply = reply;
    this.socket.write(`GET ${path} HTTP/1.1\r\nhost: ${this.worker}\r\nx-request-id: ${requestId}\r\naccept: application/json\r\n\r\n`);
  }

  private onData(chunk: Buffer): void {
    const data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    const end = data.indexOf(HEAD_END);
    const head = end < 0 ? '' : data.toString('latin1', 0, end);
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (end < 0 || data.length < end + 4 + length) {
      this.pending = data;
      return;
    }
    this.pending = undefined;
    const reply = this.reply;
    if (!reply) return; // nothing was asked: not an answer to pass on
    this.reply = undefined;
    idle.get(this.worker)!.push(this);
    reply(Number(head.slice(9, 12)), data.subarray(end + 4, end + 4 + length));
  }

  /** A worker closes idle connections after its keep-alive timeout: forget this one. */
  private fail(): void {
    const list = idle.get(this.worker)!;
    const index = list.indexOf(this);
    if (index !== -1) list.splice(index, 1);
    const reply = this.reply;
    this.reply = undefined;
    reply?.(502, Buffer.from('{"error":"bad_gateway"}'));
  }
}

const agent = new Agent({ keepAliveTimeout: 4_000 });

function viaUndici(worker: string, path: string, requestId: string, reply: Reply): void {
  const chunks: Buffer[] = [];
  let status = 502;
  const handler: Dispatcher.DispatchHandler = {
    // Present so that undici takes this for its current handler interface, not the legacy one.
    onRequestStart: () => {},
    onResponseStart: (_controller, statusCode) => {
      status = statusCode;
    },
    onResponseData: (_controller, chunk) => {
      chunks.push(chunk);
    },
    onResponseEnd: () => reply(status, Buffer.concat(chunks)),
    onResponseError: () => reply(502, Buffer.from('{"error":"bad_gateway"}')),
  };
  agent.dispatch({ origin: `http://${worker}`, path, method: 'GET', headers: { 'x-request-id': requestId, accept: 'application/json' } }, handler);
}

function viaRaw(worker: string, path: string, requestId: string, reply: Reply): void {
  (idle.get(worker)!.pop() ?? new RawUpstream(worker)).send(path, requestId, reply);
}

/** The first answer wins; a later one is dropped (its connection goes back to the pool). */
function hedge(worker: string, path: string, requestId: string, reply: Reply, afterMs: number): void {
  let answered = false;
  const once: Reply = (status, body) => {
    if (answered) return;
    answered = true;
    clearTimeout(timer);
    reply(status, body);
  };
  const timer = setTimeout(() => viaRaw(workers[next % workers.length]!, path, requestId, once), afterMs);
  viaRaw(worker, path, requestId, once);
}

const PRIME_PREFIX = '/is_prime/';
let next = 0;
let requests = 0;
const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  let pending: Buffer | undefined;
  socket.on('data', (chunk: Buffer) => {
    const data = pending ? Buffer.concat([pending, chunk]) : chunk;
    const end = data.indexOf(HEAD_END);
    if (end < 0) {
      pending = data;
      return;
    }
    pending = undefined;
    const head = data.toString('latin1', 0, end);
    const path = head.slice(head.indexOf(' ') + 1, head.indexOf(' ', head.indexOf(' ') + 1));
    const requestId = /\r\nx-request-id: *([^\r]*)/i.exec(head)?.[1] ?? `minimal-${++requests}`;
    const worker = workers[next++ % workers.length]!;
    // One write per reply, head and body together, as nginx and our balancer do.
    const reply: Reply = (status, body) => {
      const head = `HTTP/1.1 ${status} ${status === 200 ? 'OK' : 'Error'}\r\nx-request-id: ${requestId}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${body.length}\r\nconnection: keep-alive\r\n\r\n`;
      socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
    };
    if (mode === 'undici') viaUndici(worker, path, requestId, reply);
    else if (hedgeMs !== undefined && path.length - PRIME_PREFIX.length <= 19) hedge(worker, path, requestId, reply, hedgeMs);
    else viaRaw(worker, path, requestId, reply);
  });
  socket.on('error', () => socket.destroy());
});

server.listen(Number(portText), '127.0.0.1', () => console.log(`minimal proxy (${mode}) on ${portText}`));
process.on('SIGTERM', () => process.exit(0));
