import type { Registry, ServerEntry } from './registry.js';
import type { Selector } from './selection.js';

/**
 * Least outstanding requests: the worker with room that has the least work on it, counted
 * in the class of this request (heavy calculations against its capacity, or all requests for a
 * light one), so that a light request does not land behind a worker's heavy ones.
 *
 * Ties between workers that have work on them go to the worker chosen last: one that has just
 * answered has its code and data still in the CPU's caches, and on a busy machine answers the
 * next request for less CPU than one that has sat idle behind other processes. Ties between
 * idle workers (for a heavy request: workers with no heavy calculation on them) go round in
 * turn, starting after the one chosen last, so that requests sent one at a time take turns as
 * with round robin instead of all going to the same worker. Concurrent requests still spread,
 * since a worker with a request on it is no longer tied with an idle one.
 */
export function createLeastOutstanding(registry: Registry): Selector {
  // The worker itself, not its index: a worker forgotten before it would shift the indices.
  let lastChosen: ServerEntry | undefined;
  return (servers, exclude, heavy, takeTurn = true) => {
    const n = servers.length;
    // -1 before the first pick (or once the worker chosen last is gone): start at the first.
    const last = lastChosen ? servers.indexOf(lastChosen) : -1;
    let best: ServerEntry | undefined;
    let bestLoad = Number.POSITIVE_INFINITY;
    // From the one after the worker chosen last round to that worker itself.
    for (let i = 1; i <= n; i++) {
      const index = (last + i) % n;
      const server = servers[index];
      if (!server || !registry.hasRoom(server, heavy) || exclude.has(server.address)) continue;
      const load = heavy ? server.heavyInFlight / server.limit : server.inFlight + server.heavyInFlight / server.limit;
      if (load < bestLoad || (load === bestLoad && load > 0 && server === lastChosen)) {
        best = server;
        bestLoad = load;
      }
    }
    if (best && takeTurn) lastChosen = best;
    return best;
  };
}
