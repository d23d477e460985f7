import { HttpError } from '../../shared/http-error.js';
import { newEntry, type ServerEntry, type ServerStatus } from './server-entry.js';

export type { ServerEntry, ServerStatus } from './server-entry.js';

export interface Transition {
  server: ServerEntry;
  from: ServerStatus | null;
  to: ServerStatus | 'removed';
  reason: string;
}

export interface RegistryOptions {
  maxServers: number;
  /** Upper bound of any worker's in-flight limit (MAX_IN_FLIGHT_PER_SERVER). */
  maxInFlightPerServer?: number;
  failureThreshold?: number;
  recoveryThreshold?: number;
  now?: () => number;
  onTransition?: (transition: Transition) => void;
  /** An active worker announced a larger capacity: it has room for more with no change of status. */
  onRoom?: (server: ServerEntry) => void;
}

/**
 * The workers the balancer knows, keyed by address, in registration order. Pure state: no
 * I/O; every change of status (registered, active, inactive, draining, removed)
 * is reported to `onTransition` exactly once, after it is made.
 */
export class Registry {
  private readonly byAddress = new Map<string, ServerEntry>();
  /** Stable array for the selection strategies, which walk it without allocating. */
  readonly servers: ServerEntry[] = [];
  private readonly maxServers: number;
  private readonly maxInFlight: number;
  private readonly failureThreshold: number;
  private readonly recoveryThreshold: number;
  private readonly now: () => number;
  private readonly onTransition: (transition: Transition) => void;
  private readonly onRoom: (server: ServerEntry) => void;

  constructor({
    maxServers,
    maxInFlightPerServer = Number.MAX_SAFE_INTEGER,
    failureThreshold = 1,
    recoveryThreshold = 1,
    now = Date.now,
    onTransition = () => {},
    onRoom = () => {},
  }: RegistryOptions) {
    this.maxServers = maxServers;
    this.maxInFlight = maxInFlightPerServer;
    this.failureThreshold = failureThreshold;
    this.recoveryThreshold = recoveryThreshold;
    this.now = now;
    this.onTransition = onTransition;
    this.onRoom = onRoom;
  }

  get(address: string): ServerEntry | undefined {
    return this.byAddress.get(address);
  }

  /**
   * Registers a new worker or re-activates a known address (idempotent). `capacity` is what
   * the worker says it can run at once; the balancer's own limit caps it. Another name at a
   * known address is another worker there (a new pod given a gone one's IP): it takes the old
   * entry's place, at once if nothing is in flight there, else once that has ended (until
   * then, answers are counted under the old name, and that name's metrics are not forgotten
   * under them).
   */
  register(address: string, name: string, capacity?: number): ServerEntry {
    const limit = Math.max(1, Math.min(this.maxInFlight, capacity ?? this.maxInFlight));
    const known = this.byAddress.get(address);
    if (known && known.name !== name && known.inFlight > 0) {
      known.successor = { name, limit };
      return known;
    }
    if (known && known.name === name) {
      const grew = known.status === 'active' && limit > known.limit;
      known.lastSeen = this.now();
      known.limit = limit;
      known.consecutiveFailures = 0;
      known.successor = undefined;
      // An announcement says the worker runs, not that its light checks are answered (lightProbe).
      if (!(known.lightProbe && known.status === 'inactive')) this.move(known, 'active', 'announced itself');
      if (grew) this.onRoom(known);
      return known;
    }
    if (!known && this.servers.length >= this.maxServers && !this.makeRoom()) {
      throw new HttpError(503, 'registry_full', `the balancer accepts at most ${this.maxServers} ${this.maxServers === 1 ? 'server' : 'servers'}`, {
        'Retry-After': '30',
      });
    }
    const entry = newEntry(address, name, limit, this.now());
    this.byAddress.set(address, entry);
    // In the old entry's place before either change is told: waiting requests never see the
    // address without a worker.
    if (known) this.servers[this.servers.indexOf(known)] = entry;
    else this.servers.push(entry);
    if (known) this.onTransition({ server: known, from: known.status, to: 'removed', reason: `${name} announced itself at its address` });
    this.onTransition({ server: entry, from: null, to: 'active', reason: 'registered' });
    return entry;
  }

  /**
   * The worker is shutting down: no new requests go to it. `name`: the worker that said so; one
   * no longer at the address (a late deregistration of a pod whose IP another has taken) drains
   * nothing. The successor waiting at the address (see register) is the one at that address
   * now: its drain is kept for when it takes the old entry's place, which would otherwise make
   * it active.
   */
  drain(address: string, name?: string): ServerEntry {
    const entry = this.byAddress.get(address);
    if (!entry) throw new HttpError(404, 'unknown_server', `no server is registered at ${address}`);
    if (name !== undefined && name !== entry.name) {
      if (entry.successor?.name !== name) throw new HttpError(404, 'unknown_server', `${name} is not registered at ${address}; ${entry.name} is`);
      entry.successor.draining = true;
      return entry;
    }
    this.move(entry, 'draining', 'deregistered itself');
    return entry;
  }

  /**
   * A try at the worker failed. It goes out of rotation after FAILURE_THRESHOLD failures in a
   * row, or at once when `immediate` (a refused or reset connection: nobody is there).
   * Returns whether it was taken out.
   */
  recordFailure(entry: ServerEntry, error: string, { immediate = false } = {}): boolean {
    entry.failures += 1;
    entry.lastError = error;
    entry.consecutiveFailures += 1;
    if (!immediate && entry.consecutiveFailures < this.failureThreshold) return false;
    return this.takeOut(entry, error);
  }

  /**
   * Takes the worker out of rotation now: its health probe, sent when it had been active since
   * `probedSince`, failed. A draining worker (its probe answers 503 on purpose), or one that came
   * back while the probe ran, is left as it is: the failure is older than what the registry knows.
   */
  markFailed(entry: ServerEntry, error: string, probedSince = entry.activeSince): void {
    if (entry.status === 'draining' || entry.activeSince !== probedSince) return;
    entry.failures += 1;
    entry.lastError = error;
    this.takeOut(entry, error);
  }

  /**
   * A probe passed (`light`: a probe of a light check): an inactive worker is back after
   * RECOVERY_THRESHOLD passes in a row.
   */
  markHealthy(entry: ServerEntry, { light = false } = {}): void {
    entry.lastSeen = this.now();
    // Its health check passing says nothing of the fault that took it out (see lightProbe).
    if (entry.status !== 'inactive' || (entry.lightProbe && !light)) return;
    entry.consecutivePasses += 1;
    if (entry.consecutivePasses < this.recoveryThreshold) return;
    entry.lightProbe = false;
    this.move(entry, 'active', light ? 'answered a light check' : 'health check passed');
  }

  /** The worker answered a request (any status below 500) in `latencyMs`. */
  recordAnswer(entry: ServerEntry, served: boolean, latencyMs = 0): void {
    entry.lastSeen = this.now();
    entry.consecutiveFailures = 0;
    entry.lightProbe = false;
    if (served) entry.served += 1;
    entry.recentLatencyMs = entry.recentLatencyMs === 0 ? latencyMs : entry.recentLatencyMs * 0.9 + latencyMs * 0.1;
  }

  /** Whether a worker can take one more request now (`heavy`: one more heavy calculation). */
  hasRoom(entry: ServerEntry, heavy: boolean): boolean {
    return entry.status === 'active' && entry.successor === undefined && entry.inFlight < this.maxInFlight && (!heavy || entry.heavyInFlight < entry.limit);
  }

  begin(entry: ServerEntry, heavy = false): void {
    entry.inFlight += 1;
    if (heavy) entry.heavyInFlight += 1;
    entry.lastUsed = this.now();
  }

  end(entry: ServerEntry, heavy = false): void {
    entry.inFlight -= 1;
    if (heavy) entry.heavyInFlight -= 1;
    // The successor takes over on the next turn: the request that just ended is still being
    // counted under this entry's name, and that would bring the forgotten name's series back.
    if (entry.inFlight === 0 && entry.successor) setImmediate(() => this.handOver(entry));
  }

  /** The successor announced at an entry's address takes its place, if nothing has changed since. */
  private handOver(entry: ServerEntry): void {
    const { successor } = entry;
    if (!successor || entry.inFlight > 0 || this.byAddress.get(entry.address) !== entry) return;
    const next = this.register(entry.address, successor.name, successor.limit);
    if (successor.draining) this.move(next, 'draining', 'deregistered itself');
  }

  /** Forgets a worker (long gone); its requests in flight, if any, finish normally. */
  remove(entry: ServerEntry, reason: string): void {
    if (!this.byAddress.delete(entry.address)) return;
    this.servers.splice(this.servers.indexOf(entry), 1);
    this.onTransition({ server: entry, from: entry.status, to: 'removed', reason });
  }

  /**
   * When the registry is full, a new worker takes the place of the one gone longest (inactive
   * or draining, nothing in flight) rather than wait for it to be forgotten: workers that come
   * and go (a scaled deployment, rolling updates) would otherwise fill it with the gone.
   */
  private makeRoom(): boolean {
    let gone: ServerEntry | undefined;
    for (const entry of this.servers) {
      if (entry.status === 'active' || entry.inFlight > 0) continue;
      if (!gone || (entry.lastSeen ?? entry.activeSince) < (gone.lastSeen ?? gone.activeSince)) gone = entry;
    }
    if (gone) this.remove(gone, 'made room for a new worker');
    return gone !== undefined;
  }

  countActive(): number {
    let active = 0;
    for (const entry of this.servers) if (entry.status === 'active') active += 1;
    return active;
  }

  /** Out of rotation; a draining worker stays draining: it says when it is back. */
  private takeOut(entry: ServerEntry, reason: string): boolean {
    if (entry.status === 'draining') return false;
    this.move(entry, 'inactive', reason);
    return true;
  }

  private move(entry: ServerEntry, to: ServerStatus, reason: string): void {
    // Forgotten or replaced at its address (a probe or a try that ended late): its removal was
    // told, and a change told now would bring its name back to the log and the status page.
    if (entry.status === to || this.byAddress.get(entry.address) !== entry) return;
    const from = entry.status;
    entry.status = to;
    entry.consecutivePasses = 0;
    if (to === 'active') {
      entry.activeSince = this.now();
      entry.consecutiveFailures = 0;
    }
    this.onTransition({ server: entry, from, to, reason });
  }
}
