import type { ServerEntry } from '../workers/registry.js';

/** The `<entry>` of the HTTP contract. */
export function describeServer(entry: ServerEntry): Record<string, unknown> {
  return {
    name: entry.name,
    address: entry.address,
    status: entry.status,
    in_flight: entry.inFlight,
    served: entry.served,
    failures: entry.failures,
    last_error: entry.lastError,
    last_seen: entry.lastSeen === null ? null : new Date(entry.lastSeen).toISOString(),
  };
}
