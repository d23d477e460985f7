import type { Registry, ServerEntry } from './registry.js';
import type { Selector } from './selection.js';

/** Random draws for the second candidate before giving up on it (most workers ineligible). */
const RANDOM_DRAWS = 4;

/**
 * Least outstanding requests: the worker with the least work on it, counted in the class of
 * this request (heavy calculations against its capacity, or all requests for a light one), so
 * that a light request does not land behind a worker's heavy ones.
 *
 * It compares a few candidates, not every worker, so that a request costs the same with 2
 * workers as with 1,000 (as Envoy's LEAST_REQUEST and HAProxy's `random(2)` do): the worker
 * whose turn it is (the next one with room after the worker chosen last), one other drawn at
 * random, and the worker chosen last. With two or three workers that is all of them.
 *
 * Ties between workers that have work on them go to the worker chosen last: one that has just
 * answered has its code and data still in the CPU's caches, and on a busy machine answers the
 * next request for less CPU than one that has sat idle behind other processes. Ties between
 * idle workers go to the one whose turn it is, so that requests sent one at a time take turns
 * as with round robin instead of all going to the same worker. Concurrent requests still
 * spread, since a worker with a request on it is no longer tied with an idle one.
 */
export function createLeastOutstanding(registry: Registry): Selector {
  // The worker itself, and where it stood: a worker forgotten before it shifts the indices.
  let lastChosen: ServerEntry | undefined;
  let lastIndex = -1;

  return (servers, exclude, heavy, takeTurn = true) => {
    const n = servers.length;
    const eligible = (server: ServerEntry | undefined): server is ServerEntry =>
      server !== undefined && registry.hasRoom(server, heavy) && !exclude.has(server.address);
    const load = (server: ServerEntry) =>
      heavy ? server.heavyInFlight / server.limit : server.inFlight + server.heavyInFlight / server.limit;

    if (lastChosen && servers[lastIndex] !== lastChosen) lastIndex = servers.indexOf(lastChosen);
    let turn = -1;
    for (let i = 1; i <= n; i++) {
      const index = (lastIndex + i) % n;
      if (eligible(servers[index])) {
        turn = index;
        break;
      }
    }
    if (turn < 0) return undefined;

    let best = servers[turn]!;
    let bestIndex = turn;
    let bestLoad = load(best);
    const consider = (index: number): void => {
      const server = servers[index];
      if (index === bestIndex || !eligible(server)) return;
      const serverLoad = load(server);
      if (serverLoad < bestLoad || (serverLoad === bestLoad && serverLoad > 0 && server === lastChosen)) {
        best = server;
        bestIndex = index;
        bestLoad = serverLoad;
      }
    };
    if (n > 1) {
      for (let draw = 0; draw < RANDOM_DRAWS; draw++) {
        // Any index but the turn's: with two workers, the other one.
        const index = (turn + 1 + Math.floor(Math.random() * (n - 1))) % n;
        if (!eligible(servers[index])) continue;
        consider(index);
        break;
      }
    }
    if (lastIndex >= 0) consider(lastIndex);

    if (takeTurn) {
      lastChosen = best;
      lastIndex = bestIndex;
    }
    return best;
  };
}
