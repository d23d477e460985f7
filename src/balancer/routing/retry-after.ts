import type { ServerEntry } from '../workers/registry.js';

/**
 * The `Retry-After` of a `503 overloaded`, in whole seconds from 1 to 60: how long until a
 * turned-away client has a fair chance, as the work ahead of it (the requests waiting and the
 * active workers' slots) over those slots, at the workers' recent service time.
 */
export function retryAfterSeconds(waiting: number, servers: readonly ServerEntry[], serviceMs: number): number {
  let capacity = 0;
  for (const server of servers) if (server.status === 'active') capacity += server.limit;
  const seconds = ((waiting + capacity) * serviceMs) / Math.max(1, capacity) / 1000;
  return Math.min(60, Math.max(1, Math.ceil(seconds)));
}
