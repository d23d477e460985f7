import type { Server } from 'node:http';

/**
 * Stops accepting connections and resolves once every open one has ended. Keep-alive
 * connections are closed as soon as they fall idle, so a request in flight always gets its
 * answer and an idle client never holds shutdown up.
 */
export function closeServer(server: Server, sweepMs = 50): Promise<void> {
  return new Promise((resolve, reject) => {
    const sweep = setInterval(() => server.closeIdleConnections(), sweepMs);
    server.close((err) => {
      clearInterval(sweep);
      if (err) reject(err);
      else resolve();
    });
    server.closeIdleConnections();
  });
}
