import type { ServerEntry } from '../workers/registry.js';
import { shownStatus } from '../workers/server-entry.js';

/** The `<entry>` of the HTTP contract. */
export function describeServer(entry: ServerEntry): Record<string, unknown> {
  return {
    name: entry.name,
    address: entry.address,
    status: shownStatus(entry),
    in_flight: entry.inFlight,
    served: entry.served,
    failures: entry.failures,
    last_error: entry.lastError,
    last_seen: entry.lastSeen === null ? null : new Date(entry.lastSeen).toISOString(),
  };
}
