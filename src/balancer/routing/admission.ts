import type { Registry, ServerEntry } from '../workers/registry.js';
import type { Selector } from '../workers/selection.js';
import { retryAfterSeconds } from './retry-after.js';

export type Admission =
  | { ok: true; server: ServerEntry }
  | { ok: false; reason: 'no_active_servers' | 'exhausted' | 'overloaded' | 'aborted' };

interface Waiter {
  /** Arrival order, across both classes. */
  seq: number;
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
  /**
   * For this long after start, while no worker is registered, a request waits (as long as it
   * may wait in the queue) for the first to announce itself instead of being refused: a
   * restarted balancer then loses no request while its workers find it again.
   */
  startupWaitMs?: number;
  /**
   * Called when a slot may be free and no request waits for one: background work (job tasks)
   * may take it then (`acquireSpare`).
   */
  onSpareCapacity?: () => void;
}

/**
 * Gives each request a worker with room for it (at most its `limit` of heavy calculations, and
 * MAX_IN_FLIGHT_PER_SERVER requests in all), or a place in a bounded FIFO queue until one frees
 * up. Turning requests away when the queue is full keeps memory and every client's wait
 * bounded under any load: a client gets an answer or a 503, never a hang.
 */
export class AdmissionQueue {
  /**
   * Waiting requests by class, each in arrival order. Kept apart so that a freed slot costs
   * nothing for the class that has no room: under a mixed load dozens of heavy requests wait
   * for a calculator while light ones finish every few hundred microseconds, and none of those
   * finishes should walk past every heavy waiter.
   */
  private readonly light: Waiter[] = [];
  private readonly heavy: Waiter[] = [];
  private arrivals = 0;
  private serviceMs = 0;
  /** Active workers when last counted (see pump): fewer now means some waiters may have none left to try. */
  private activeBefore = 0;
  /** Until when a request may wait for the first worker (see startupWaitMs). */
  private readonly startupUntil: number;

  constructor(private readonly options: AdmissionOptions) {
    this.startupUntil = Date.now() + (options.startupWaitMs ?? 0);
  }

  get depth(): number {
    return this.light.length + this.heavy.length;
  }

  /**
   * A worker for this request (already counted in flight: give it back with `release`), or why
   * there is none. Only a request's first try (nothing `tried` yet) takes a turn in the
   * rotation: a retry or a hedge does not, so that a worker failing every try is not handed the
   * next request by its own retries. `signal`: the client hung up, the request leaves the queue.
   */
  acquire(
    tried: ReadonlySet<string>,
    {
      signal,
      maxWaitMs = Number.POSITIVE_INFINITY,
      heavy = false,
    }: { signal?: AbortSignal; maxWaitMs?: number; heavy?: boolean } = {},
  ): Admission | Promise<Admission> {
    const { registry, select } = this.options;
    if (signal?.aborted) return { ok: false, reason: 'aborted' };
    const server = select(registry.servers, tried, heavy, tried.size === 0);
    if (server) {
      registry.begin(server, heavy);
      return { ok: true, server };
    }
    const refused = this.refusal(tried);
    if (refused) return refused;
    // A request waits at most QUEUE_TIMEOUT_MS, and never past what its caller allows.
    let waitMs = Math.min(maxWaitMs, this.options.queueTimeoutMs);
    if (this.waitingForFirstWorker()) waitMs = Math.min(waitMs, this.startupUntil - Date.now());
    if (this.depth >= this.options.maxQueue || waitMs <= 0) return { ok: false, reason: 'overloaded' };
    return new Promise((resolve) => {
      const waiter: Waiter = {
        seq: this.arrivals++,
        tried,
        heavy,
        resolve,
        // No worker yet when the start-up wait ends (its timer may fire early): say so, not "overloaded".
        timer: setTimeout(() => this.leave(waiter, this.refusal(tried, false) ?? { ok: false, reason: 'overloaded' }), waitMs),
        unsubscribe: () => {},
      };
      // Counted only while someone waits (pump skips an empty queue), so fresh for the first one.
      if (this.depth === 0) this.activeBefore = registry.countActive();
      (heavy ? this.heavy : this.light).push(waiter);
      if (signal) {
        const onAbort = (): void => this.leave(waiter, { ok: false, reason: 'aborted' });
        signal.addEventListener('abort', onAbort, { once: true });
        waiter.unsubscribe = () => signal.removeEventListener('abort', onAbort);
      }
    });
  }

  /**
   * A heavy slot for background work (a job's task), only if no request is waiting for one:
   * jobs take the workers' spare capacity and never queue ahead of a client. Never waits;
   * give the slot back with `release(server, true)`.
   */
  acquireSpare(exclude: ReadonlySet<string>): ServerEntry | undefined {
    if (this.depth > 0) return undefined;
    const { registry, select } = this.options;
    const server = select(registry.servers, exclude, true);
    if (server) registry.begin(server, true);
    return server;
  }

  /** A request is done with `server`: its slot goes to the next waiter that can use it. */
  release(server: ServerEntry, heavy: boolean): void {
    this.options.registry.end(server, heavy);
    this.pump();
  }

  /** A worker came, went or changed state (every registry transition, build.ts): waiters may now have one, or none to wait for. */
  workersChanged(): void {
    this.pump();
  }

  /** Feeds the running average of how long workers take, for Retry-After. */
  recordServiceTime(ms: number): void {
    this.serviceMs = this.serviceMs === 0 ? ms : this.serviceMs * 0.9 + ms * 0.1;
  }

  /** Seconds until a turned-away client has a fair chance (retry-after.ts). */
  retryAfterSeconds(): number {
    return retryAfterSeconds(this.depth, this.options.registry.servers, this.serviceMs);
  }

  /** Hands freed slots to waiters, first come first served across both classes. */
  private pump(): void {
    const { registry, select } = this.options;
    const { light, heavy } = this;
    // The common case on every answer: nobody waits, nothing to count; the slot is spare.
    if (light.length + heavy.length === 0) {
      this.options.onSpareCapacity?.();
      return;
    }
    const active = registry.countActive();
    const activeBefore = this.activeBefore;
    this.activeBefore = active;
    const { servers } = registry;
    // A worker went away: a waiter that has tried every one left is told so now, even if its
    // class has no room (it would otherwise wait out its queue timeout for nothing).
    const anyActive = active > 0;
    if (anyActive && active < activeBefore) this.refuseExhausted();
    // A class no worker has room for is passed over whole, unless no worker is active any
    // more: then every waiter must hear so.
    const roomFor = (isHeavy: boolean): boolean => !anyActive || servers.some((s) => registry.hasRoom(s, isHeavy));
    let roomLight = roomFor(false);
    let roomHeavy = roomLight && roomFor(true);
    // Next candidates in each queue: a waiter stays (and the index moves past it) when only
    // workers it has already tried have room.
    let l = 0;
    let h = 0;
    for (;;) {
      const nextLight = roomLight ? light[l] : undefined;
      const nextHeavy = roomHeavy ? heavy[h] : undefined;
      const waiter = nextLight && (!nextHeavy || nextLight.seq < nextHeavy.seq) ? nextLight : nextHeavy;
      if (!waiter) {
        if (this.depth === 0) this.options.onSpareCapacity?.();
        return;
      }
      const queue = waiter.heavy ? heavy : light;
      const index = waiter.heavy ? h : l;
      const server = select(servers, waiter.tried, waiter.heavy, waiter.tried.size === 0);
      const admission = server ? ({ ok: true, server } as const) : this.refusal(waiter.tried);
      if (server) registry.begin(server, waiter.heavy);
      if (admission) {
        this.remove(queue, index, waiter);
        waiter.resolve(admission);
      } else if (waiter.heavy) h += 1;
      else l += 1;
      // Only a slot taken changes where there is room: a waiter passed over does not.
      if (server) {
        roomLight = roomFor(false);
        roomHeavy = roomLight && roomFor(true);
      }
    }
  }

  private refuseExhausted(): void {
    for (const queue of [this.light, this.heavy]) {
      for (let i = 0; i < queue.length; ) {
        const waiter = queue[i]!;
        const refused = this.refusal(waiter.tried);
        if (!refused) {
          i += 1;
          continue;
        }
        this.remove(queue, i, waiter);
        waiter.resolve(refused);
      }
    }
  }

  /**
   * Why a request cannot wait at all: no active worker, or every active one already tried. A
   * worker waiting to take over a busy address (registry.ts) is waited for.
   */
  private refusal(tried: ReadonlySet<string>, startupWait = true): Admission | undefined {
    if (startupWait && this.waitingForFirstWorker()) return undefined;
    for (const server of this.options.registry.servers) {
      const coming = server.successor !== undefined && !server.successor.draining;
      if ((server.status === 'active' || coming) && !tried.has(server.address)) return undefined;
    }
    return { ok: false, reason: tried.size === 0 ? 'no_active_servers' : 'exhausted' };
  }

  private waitingForFirstWorker(): boolean {
    return this.options.registry.servers.length === 0 && Date.now() < this.startupUntil;
  }

  private leave(waiter: Waiter, admission: Admission): void {
    const queue = waiter.heavy ? this.heavy : this.light;
    const index = queue.indexOf(waiter);
    if (index === -1) return;
    this.remove(queue, index, waiter);
    waiter.resolve(admission);
  }

  private remove(queue: Waiter[], index: number, waiter: Waiter): void {
    queue.splice(index, 1);
    clearTimeout(waiter.timer);
    waiter.unsubscribe();
  }
}
