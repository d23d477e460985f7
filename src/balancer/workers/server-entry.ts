export type ServerStatus = 'active' | 'inactive' | 'draining';

/** A worker's state at the balancer: what the registry, selection, admission and status page read. */
export interface ServerEntry {
  readonly name: string;
  readonly address: string;
  status: ServerStatus;
  inFlight: number;
  served: number;
  failures: number;
  lastError: string | null;
  /** Last time the worker answered anything (epoch ms), or null. */
  lastSeen: number | null;
  /** Last time a request was sent to it, for the idle health check (epoch ms). */
  lastUsed: number;
  /** Heavy calculations (numbers of 2^64 and up) running there now. */
  heavyInFlight: number;
  /**
   * Most heavy calculations it is sent at once: its advertised capacity (the threads it runs
   * them on), capped by MAX_IN_FLIGHT_PER_SERVER. Light numbers take microseconds on the
   * worker's event loop and are bounded by MAX_IN_FLIGHT_PER_SERVER alone.
   */
  limit: number;
  /** Failed tries in a row (reset by any answer); FAILURE_THRESHOLD of them take it out. */
  consecutiveFailures: number;
  /** Passed probes in a row while inactive; RECOVERY_THRESHOLD of them put it back. */
  consecutivePasses: number;
  /** When it last became active (epoch ms), for telling a stable worker from a flapping one. */
  activeSince: number;
  /** Moving average of its answer times (ms), for the status page. */
  recentLatencyMs: number;
  /**
   * Another worker that announced itself at this address while requests were in flight here
   * (a new pod given a gone one's IP): it takes this entry's place once they end. Until then
   * this entry is sent nothing new, so that it does end under steady traffic. `draining`: it
   * deregistered itself meanwhile, and takes the place draining.
   */
  successor: { name: string; limit: number; draining?: boolean } | undefined;
  /**
   * A light check timed out there: a fault its health check may not show. Until it answers a
   * light check (a request, or a probe of `/is_prime/2` in place of its health check), neither a
   * passing health check nor its announcement puts it back.
   */
  lightProbe: boolean;
}

/**
 * The status people and metrics are shown: an entry waiting for its successor is sent nothing
 * new and leaves once its requests end, as a draining one does, whatever its own status.
 */
export function shownStatus(entry: ServerEntry): ServerStatus {
  return entry.successor === undefined ? entry.status : 'draining';
}

/** A worker just registered: active, nothing in flight, nothing known of it yet. */
export function newEntry(address: string, name: string, limit: number, now: number): ServerEntry {
  return {
    name,
    address,
    status: 'active',
    inFlight: 0,
    heavyInFlight: 0,
    served: 0,
    failures: 0,
    lastError: null,
    lastSeen: now,
    lastUsed: now,
    limit,
    consecutiveFailures: 0,
    consecutivePasses: 0,
    activeSince: now,
    recentLatencyMs: 0,
    successor: undefined,
    lightProbe: false,
  };
}
