import { randomUUID } from 'node:crypto';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { trackRequests } from './close-server.js';

/**
 * An HTTP server for an Express app that also answers requests Node cannot parse (bad
 * request line, oversized headers) with a JSON error, as every reply of ours is JSON,
 * instead of Node's bare `400 Bad Request`.
 */
export function createHttpServer(app: RequestListener): Server {
  const server = createServer({ maxHeaderSize: 16 * 1024 }, app);
  trackRequests(server);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
    const body = JSON.stringify(
      tooLarge
        ? { error: 'headers_too_large', message: 'the request headers are too large' }
        : { error: 'bad_request', message: 'the request is not valid HTTP' },
    );
    socket.end(
      `HTTP/1.1 ${status}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${randomUUID()}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  return server;
}
