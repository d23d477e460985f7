import type { Registry } from './registry.js';
import type { Selector } from './selection.js';

/**
 * Round robin over the workers with room: each pick starts one past the previous one,
 * skipping workers that are not active, are full, or were already tried for this request.
 */
export function createRoundRobin(registry: Registry): Selector {
  let next = 0;
  return (servers, exclude, heavy, takeTurn = true) => {
    const n = servers.length;
    for (let i = 0; i < n; i++) {
      const index = (next + i) % n;
      const server = servers[index];
      if (server && registry.hasRoom(server, heavy) && !exclude.has(server.address)) {
        if (takeTurn) next = (index + 1) % n;
        return server;
      }
    }
    return undefined;
  };
}
