import type { ServerEntry } from './registry.js';

/** Picks an active server with a free slot, not in `exclude`, or undefined when there is none. */
export type Selector = (servers: readonly ServerEntry[], exclude: ReadonlySet<string>) => ServerEntry | undefined;

/**
 * Round robin over the active servers: each pick starts one past the previous one, skipping
 * servers that are not active, are full, or were already tried for this request.
 */
export function createRoundRobin(): Selector {
  let next = 0;
  return (servers, exclude) => {
    const n = servers.length;
    for (let i = 0; i < n; i++) {
      const index = (next + i) % n;
      const server = servers[index];
      if (server && server.status === 'active' && server.inFlight < server.limit && !exclude.has(server.address)) {
        next = (index + 1) % n;
        return server;
      }
    }
    return undefined;
  };
}
