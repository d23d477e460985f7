import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  /** Names lower-cased; a repeated header keeps its last value. */
  headers: Record<string, string>;
  /** Header names in the order they came, as sent. */
  names: string[];
  body: string;
}

/**
 * A client that writes bytes exactly as given and reads HTTP/1.1 answers off the socket, for
 * what fetch cannot do: pipelining, split requests, malformed requests, watching the
 * connection itself. Answers are framed by Content-Length (every answer of ours has one);
 * `heads` marks which of them answer a HEAD request and so have no body.
 */
export class RawConnection {
  readonly socket: Socket;
  readonly responses: RawResponse[] = [];
  closed = false;
  private buffer = Buffer.alloc(0);
  private heads: boolean[] = [];
  private waiters: Array<() => void> = [];

  private constructor(url: string) {
    const { hostname, port } = new URL(url);
    this.socket = connect(Number(port), hostname);
    this.socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.parse();
    });
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static async open(url: string): Promise<RawConnection> {
    const connection = new RawConnection(url);
    await new Promise<void>((resolve, reject) => {
      connection.socket.once('connect', resolve);
      connection.socket.once('error', reject);
    });
    return connection;
  }

  /** Writes `text` as it is; `heads` says, per request in it, whether it is a HEAD. */
  send(text: string, heads: boolean[] = []): void {
    this.heads.push(...heads);
    this.socket.write(text, 'latin1');
  }

  /** Resolves once `count` answers in all have arrived (or the connection closed: then fails). */
  async answers(count: number, timeoutMs = 5_000): Promise<RawResponse[]> {
    await this.until(() => this.responses.length >= count || this.closed, timeoutMs);
    if (this.responses.length < count) throw new Error(`connection closed after ${this.responses.length} of ${count} answers`);
    return this.responses.slice(0, count);
  }

  /** Resolves once the server has closed the connection. */
  async closedByServer(timeoutMs = 5_000): Promise<void> {
    await this.until(() => this.closed, timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }

  private async until(done: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error('timed out waiting on the raw connection');
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 20);
      });
    }
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  private parse(): void {
    for (;;) {
      const headEnd = this.buffer.indexOf('\r\n\r\n');
      if (headEnd === -1) return;
      const lines = this.buffer.subarray(0, headEnd).toString('latin1').split('\r\n');
      const status = Number(lines[0]!.split(' ')[1]);
      const headers: Record<string, string> = {};
      const names: string[] = [];
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        names.push(line.slice(0, colon));
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      const head = this.heads[this.responses.length] ?? false;
      const length = head ? 0 : Number(headers['content-length'] ?? 0);
      if (this.buffer.length < headEnd + 4 + length) return;
      const body = this.buffer.subarray(headEnd + 4, headEnd + 4 + length).toString('utf8');
      this.buffer = this.buffer.subarray(headEnd + 4 + length);
      this.responses.push({ status, headers, names, body });
      this.wake();
    }
  }
}

/** A request as a client writes it; `headers` come after Host. */
export function rawRequest(target: string, headers: string[] = [], method = 'GET'): string {
  return `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`;
}
