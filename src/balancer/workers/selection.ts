import { createLeastOutstanding } from './least-outstanding.js';
import type { Registry, ServerEntry } from './registry.js';
import { createRoundRobin } from './round-robin.js';

/**
 * Picks a worker with room for this request (`heavy`: a heavy calculation) that is not in
 * `exclude` (already tried), or undefined when there is none. `takeTurn` false picks without
 * moving the rotation on: a retry or a hedge is another try of a request, not a request's turn.
 */
export type Selector = (servers: readonly ServerEntry[], exclude: ReadonlySet<string>, heavy: boolean, takeTurn?: boolean) => ServerEntry | undefined;

export type SelectionName = 'round_robin' | 'least_outstanding';

export function createSelector(name: SelectionName, registry: Registry): Selector {
  return name === 'least_outstanding' ? createLeastOutstanding(registry) : createRoundRobin(registry);
}
