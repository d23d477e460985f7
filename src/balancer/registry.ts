import { HttpError } from '../shared/http-error.js';

export type ServerStatus = 'active' | 'inactive' | 'draining';

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
}

export interface Transition {
  server: ServerEntry;
  from: ServerStatus | null;
  to: ServerStatus;
  reason: string;
}

export interface RegistryOptions {
  maxServers: number;
  now?: () => number;
  onTransition?: (transition: Transition) => void;
}

/**
 * The workers the balancer knows, keyed by address, in registration order. Pure state: no
 * I/O and no timers; every status change is reported to `onTransition` exactly once.
 */
export class Registry {
  private readonly byAddress = new Map<string, ServerEntry>();
  /** Stable array for the selection strategies, which walk it without allocating. */
  readonly servers: ServerEntry[] = [];
  private readonly maxServers: number;
  private readonly now: () => number;
  private readonly onTransition: (transition: Transition) => void;

  constructor({ maxServers, now = Date.now, onTransition = () => {} }: RegistryOptions) {
    this.maxServers = maxServers;
    this.now = now;
    this.onTransition = onTransition;
  }

  get(address: string): ServerEntry | undefined {
    return this.byAddress.get(address);
  }

  /** Registers a new worker or re-activates a known address (idempotent). */
  register(address: string, name: string): ServerEntry {
    const known = this.byAddress.get(address);
    if (known) {
      known.lastSeen = this.now();
      this.move(known, 'active', 'announced itself');
      return known;
    }
    if (this.servers.length >= this.maxServers) {
      throw new HttpError(503, 'registry_full', `the balancer accepts at most ${this.maxServers} servers`, {
        'Retry-After': '30',
      });
    }
    const now = this.now();
    const entry: ServerEntry = {
      name,
      address,
      status: 'active',
      inFlight: 0,
      served: 0,
      failures: 0,
      lastError: null,
      lastSeen: now,
      lastUsed: now,
    };
    this.byAddress.set(address, entry);
    this.servers.push(entry);
    this.onTransition({ server: entry, from: null, to: 'active', reason: 'registered' });
    return entry;
  }

  /** The worker is shutting down: no new requests go to it. */
  drain(address: string): ServerEntry {
    const entry = this.byAddress.get(address);
    if (!entry) throw new HttpError(404, 'unknown_server', `no server is registered at ${address}`);
    this.move(entry, 'draining', 'deregistered itself');
    return entry;
  }

  /** A request or probe failed: counts against the worker and takes it out of rotation. */
  markFailed(entry: ServerEntry, error: string): void {
    entry.failures += 1;
    entry.lastError = error;
    this.move(entry, 'inactive', error);
  }

  /** A health probe passed: an inactive worker goes back into rotation. */
  markHealthy(entry: ServerEntry): void {
    entry.lastSeen = this.now();
    if (entry.status === 'inactive') this.move(entry, 'active', 'health check passed');
  }

  /** The worker answered a request (any status below 500). */
  recordAnswer(entry: ServerEntry, served: boolean): void {
    entry.lastSeen = this.now();
    if (served) entry.served += 1;
  }

  begin(entry: ServerEntry): void {
    entry.inFlight += 1;
    entry.lastUsed = this.now();
  }

  end(entry: ServerEntry): void {
    entry.inFlight -= 1;
  }

  countActive(): number {
    let active = 0;
    for (const entry of this.servers) if (entry.status === 'active') active += 1;
    return active;
  }

  private move(entry: ServerEntry, to: ServerStatus, reason: string): void {
    if (entry.status === to) return;
    const from = entry.status;
    entry.status = to;
    this.onTransition({ server: entry, from, to, reason });
  }
}

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
