import type { Cancellation } from './cancellation.js';
import type { Registry, ServerEntry } from './registry.js';
import type { Selector } from './round-robin.js';

export type Admission =
  | { ok: true; server: ServerEntry }
  | { ok: false; reason: 'no_active_servers' | 'exhausted' | 'overloaded' | 'aborted' };

interface Waiter {
  tried: ReadonlySet<string>;
  heavy: boolean;
  resolve: (admission: Admission) => void;
  timer: NodeJS.Timeout;
  unsubscribe: () => void;
}

export interface AdmissionOptions {
  registry: Registry;
  select: Selector;
  /** Requests that may wait for a free worker at once; more are turned away (503 overloaded). */
  maxQueue: number;
  /** How long a request may wait for a free worker. */
  queueTimeoutMs: number;
}

/**
 * Gives each request a worker with room for it (a worker runs at most its `limit` of heavy
 * calculations, and MAX_IN_FLIGHT_PER_SERVER requests in all), or a place in a bounded FIFO
 * queue until one frees up. Turning requests away when
 * the queue is full keeps the balancer's memory and every client's wait bounded under any
 * load: a client gets an answer or a 503, never a hang.
 */
export class AdmissionQueue {
  private readonly waiters: Waiter[] = [];
  private serviceMs = 0;

  constructor(private readonly options: AdmissionOptions) {
    options.registry.onCapacity = () => this.pump();
  }

  get depth(): number {
    return this.waiters.length;
  }

  /**
   * A worker for this request (already counted in flight), or why there is none. `hedge`: a
   * second copy of a request already being answered, which does not take a turn in the rotation.
   */
  acquire(
    tried: ReadonlySet<string>,
    {
      cancellation,
      maxWaitMs = this.options.queueTimeoutMs,
      heavy = false,
      hedge = false,
    }: { cancellation?: Cancellation; maxWaitMs?: number; heavy?: boolean; hedge?: boolean } = {},
  ): Admission | Promise<Admission> {
    const { registry, select } = this.options;
    const server = select(registry.servers, tried, heavy, !hedge);
    if (server) {
      registry.begin(server, heavy);
      return { ok: true, server };
    }
    const refused = this.refusal(tried);
    if (refused) return refused;
    if (this.waiters.length >= this.options.maxQueue || maxWaitMs <= 0) return { ok: false, reason: 'overloaded' };
    return new Promise((resolve) => {
      const waiter: Waiter = {
        tried,
        heavy,
        resolve,
        timer: setTimeout(() => this.leave(waiter, { ok: false, reason: 'overloaded' }), maxWaitMs),
        unsubscribe: () => {},
      };
      this.waiters.push(waiter);
      if (cancellation) waiter.unsubscribe = cancellation.onCancel(() => this.leave(waiter, { ok: false, reason: 'aborted' }));
    });
  }

  /** Feeds the running average of how long workers take, for Retry-After. */
  recordServiceTime(ms: number): void {
    this.serviceMs = this.serviceMs === 0 ? ms : this.serviceMs * 0.9 + ms * 0.1;
  }

  /** Seconds until a turned-away client has a fair chance: the queue's work over the capacity. */
  retryAfterSeconds(): number {
    let capacity = 0;
    for (const server of this.options.registry.servers) if (server.status === 'active') capacity += server.limit;
    const seconds = ((this.waiters.length + capacity) * this.serviceMs) / Math.max(1, capacity) / 1000;
    return Math.min(60, Math.max(1, Math.ceil(seconds)));
  }

  /** Hands freed slots to waiters, first come first served. */
  private pump(): void {
    const { registry, select } = this.options;
    if (this.waiters.length === 0) return;
    // Waiters of a class no worker has room for are passed over cheaply, unless no worker is
    // active any more (then every waiter must hear so).
    const anyActive = registry.servers.some((s) => s.status === 'active');
    const room = { light: registry.servers.some((s) => registry.hasRoom(s, false)), heavy: registry.servers.some((s) => registry.hasRoom(s, true)) };
    for (let i = 0; i < this.waiters.length; ) {
      const waiter = this.waiters[i]!;
      if (anyActive && !(waiter.heavy ? room.heavy : room.light)) {
        i += 1;
        continue;
      }
      const server = select(registry.servers, waiter.tried, waiter.heavy);
      if (server) {
        registry.begin(server, waiter.heavy);
        this.remove(i, waiter);
        waiter.resolve({ ok: true, server });
        continue;
      }
      const refused = this.refusal(waiter.tried);
      if (refused) {
        this.remove(i, waiter);
        waiter.resolve(refused);
        continue;
      }
      i += 1;
      room.light = registry.servers.some((s) => registry.hasRoom(s, false));
      room.heavy = room.light && registry.servers.some((s) => registry.hasRoom(s, true));
      if (!room.light && anyActive) return;
    }
  }

  /** Why a request cannot wait at all: no active worker, or every active one already tried. */
  private refusal(tried: ReadonlySet<string>): Admission | undefined {
    for (const server of this.options.registry.servers) {
      if (server.status === 'active' && !tried.has(server.address)) return undefined;
    }
    return { ok: false, reason: tried.size === 0 ? 'no_active_servers' : 'exhausted' };
  }

  private leave(waiter: Waiter, admission: Admission): void {
    const index = this.waiters.indexOf(waiter);
    if (index === -1) return;
    this.remove(index, waiter);
    waiter.resolve(admission);
  }

  private remove(index: number, waiter: Waiter): void {
    this.waiters.splice(index, 1);
    clearTimeout(waiter.timer);
    waiter.unsubscribe();
  }
}
