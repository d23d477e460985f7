import type { Registry, ServerEntry } from './registry.js';

/**
 * Picks a worker with room for this request (`heavy`: a heavy calculation) that is not in
 * `exclude` (already tried), or undefined when there is none. `takeTurn` false picks without
 * moving the rotation on: a hedge is an extra copy of a request, not a request's turn.
 */
export type Selector = (servers: readonly ServerEntry[], exclude: ReadonlySet<string>, heavy: boolean, takeTurn?: boolean) => ServerEntry | undefined;

export type SelectionName = 'round_robin' | 'least_outstanding';

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

/**
 * Least outstanding requests: the worker with room that has the least work on it, counted
 * in the class of this request (heavy calculations against its capacity, or all requests for a
 * light one), so that a light request does not land behind a worker's heavy ones. Ties go to
 * the worker chosen last, then onwards in turn: a worker that has just answered has its code
 * and data still in the CPU's caches, and on a busy machine answers the next request for less
 * CPU than one that has sat idle behind other processes (measured: BENCHMARKS.md, session 9).
 * Concurrent requests still spread, since a worker with a request on it is no longer tied.
 */
export function createLeastOutstanding(registry: Registry): Selector {
  let next = 0;
  return (servers, exclude, heavy, takeTurn = true) => {
    const n = servers.length;
    let best: ServerEntry | undefined;
    let bestIndex = 0;
    let bestLoad = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const index = (next + i) % n;
      const server = servers[index];
      if (!server || !registry.hasRoom(server, heavy) || exclude.has(server.address)) continue;
      const load = heavy ? server.heavyInFlight / server.limit : server.inFlight + server.heavyInFlight / server.limit;
      if (load < bestLoad) {
        best = server;
        bestIndex = index;
        bestLoad = load;
      }
    }
    if (best && takeTurn) next = bestIndex;
    return best;
  };
}

export function createSelector(name: SelectionName, registry: Registry): Selector {
  return name === 'least_outstanding' ? createLeastOutstanding(registry) : createRoundRobin(registry);
}
