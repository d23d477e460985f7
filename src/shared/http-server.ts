import { randomUUID } from 'node:crypto';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { trackRequests } from './close-server.js';

/** Node's client errors as our JSON replies: what the client did, not how Node noticed. */
function clientErrorReply(code: string | undefined): { status: string; body: string } {
  const [status, error, message] =
    code === 'HPE_HEADER_OVERFLOW'
      ? ['431 Request Header Fields Too Large', 'headers_too_large', 'the request headers are too large']
      : code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? ['408 Request Timeout', 'request_timeout', 'the request did not arrive in time']
        : ['400 Bad Request', 'bad_request', 'the request is not valid HTTP'];
  return { status, body: JSON.stringify({ error, message }) };
}

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
    const { status, body } = clientErrorReply(err.code);
    socket.end(
      `HTTP/1.1 ${status}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${randomUUID()}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  return server;
}
