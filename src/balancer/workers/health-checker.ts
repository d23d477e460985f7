import { backoffDelay } from '../../shared/backoff.js';
import type { Logger } from '../../shared/logger.js';
import type { ProbeResult } from '../upstream/client.js';
import type { Registry, ServerEntry } from './registry.js';

export interface HealthCheckerOptions {
  registry: Registry;
  /** `light`: a light check in place of the health check (the registry's lightProbe). */
  probe: (address: string, light: boolean) => Promise<ProbeResult>;
  logger: Logger;
  /** Active idle workers are probed this often; an inactive worker at least this often. */
  intervalMs: number;
  /** An active worker with no traffic for this long is probed; busy ones prove themselves. */
  idleAfterMs: number;
  /** A worker inactive or draining this long, with nothing in flight, is forgotten. */
  forgetAfterMs?: number;
  random?: () => number;
  onResult?: (server: ServerEntry, result: ProbeResult) => void;
}

export interface HealthChecker {
  start(): void;
  stop(): void;
}

interface ProbeState {
  /** Failed probes and outages in a row, for the backoff; forgotten once a worker is stable. */
  attempt: number;
  nextAt: number;
  /** The `activeSince` of the outage already scheduled, to tell a new outage from the same one. */
  outage: number | undefined;
}

/** A worker active this many intervals in a row is stable: its backoff starts over. */
const STABLE_INTERVALS = 3;

/**
 * The balancer's background health checks. It probes inactive workers with capped exponential backoff
 * and jitter — soon after they fail, then less often, never less than once per `intervalMs` —
 * so a recovered worker is back within one interval while a flapping one is probed (and can
 * come back) ever more rarely. Active workers with no traffic for `idleAfterMs` are probed
 * once per interval, each at its own moment in the interval, to take a dead one out before a
 * client finds it. Probes run in parallel, one at a time per worker, and the next round does not
 * wait for them: a worker that lets its probe time out delays no other worker's.
 */
export function createHealthChecker({
  registry,
  probe,
  logger,
  intervalMs,
  idleAfterMs,
  forgetAfterMs = 300_000,
  random = Math.random,
  onResult = () => {},
}: HealthCheckerOptions): HealthChecker {
  const tickMs = Math.max(5, Math.round(intervalMs / 10));
  const baseMs = Math.max(tickMs, Math.round(intervalMs / 8));
  const states = new Map<string, ProbeState>();
  const probing = new Set<ServerEntry>();
  let timer: NodeJS.Timeout | undefined;
  let running = false;

  const stateOf = (server: ServerEntry, at: number): ProbeState => {
    let state = states.get(server.address);
    if (!state) {
      // A phase of its own in the interval, so that many workers registered at once (a scaled
      // deployment, a restarted balancer) are not all probed in the same round.
      state = { attempt: 0, nextAt: at + Math.round(random() * intervalMs), outage: undefined };
      states.set(server.address, state);
    }
    return state;
  };

  const backoff = (state: ProbeState, at: number): void => {
    state.nextAt = at + backoffDelay(state.attempt, { baseMs, maxMs: intervalMs, random });
    state.attempt += 1;
  };

  const isDue = (server: ServerEntry, at: number): boolean => {
    const state = stateOf(server, at);
    // A draining worker asked to be left alone: it comes back by announcing itself.
    if (server.status === 'draining') return false;
    if (server.status === 'inactive') {
      if (state.outage !== server.activeSince) {
        // A new outage: the first probe comes soon, later ones back off.
        state.outage = server.activeSince;
        backoff(state, at);
      }
      return at >= state.nextAt;
    }
    if (server.status === 'active' && at - server.activeSince >= STABLE_INTERVALS * intervalMs) state.attempt = 0;
    if (at < state.nextAt) return false;
    // The next slot keeps the worker's phase, whether or not it is probed in this one.
    state.nextAt += Math.ceil((at - state.nextAt + 1) / intervalMs) * intervalMs;
    return server.inFlight === 0 && at - server.lastUsed >= idleAfterMs;
  };

  const check = async (server: ServerEntry): Promise<void> => {
    const probedSince = server.activeSince;
    probing.add(server);
    const light = server.lightProbe;
    const result = await probe(server.address, light).finally(() => probing.delete(server));
    // Forgotten or replaced by another worker at its address meanwhile: the result is of no
    // one's, and counting it would bring the forgotten name's series back.
    if (registry.get(server.address) !== server) return;
    onResult(server, result);
    const state = stateOf(server, Date.now());
    if (result.ok) {
      registry.markHealthy(server, { light });
      if (server.status === 'inactive') state.nextAt = Date.now() + baseMs;
    } else if (server.status !== 'inactive') {
      registry.markFailed(server, result.message, probedSince);
    } else {
      backoff(state, Date.now());
      logger.debug({ server: server.name, reason: result.message, nextProbeInMs: state.nextAt - Date.now() }, 'still unhealthy');
    }
  };

  /** One round: forgets the long gone, and probes every worker that is due and not being probed. */
  const runOnce = async (): Promise<void> => {
    const at = Date.now();
    for (const server of [...registry.servers]) {
      const since = server.lastSeen ?? server.activeSince;
      if (server.status !== 'active' && server.inFlight === 0 && at - since >= forgetAfterMs) {
        registry.remove(server, `not seen for ${Math.round((at - since) / 1000)} s`);
      }
    }
    for (const address of states.keys()) if (!registry.get(address)) states.delete(address);
    const due = registry.servers.filter((server) => !probing.has(server) && isDue(server, at));
    await Promise.all(due.map(check));
  };

  // stop() clears the one pending timer, and a round schedules the next synchronously, so a
  // stopped checker never schedules again.
  const loop = (): void => {
    timer = setTimeout(() => {
      runOnce().catch((err: unknown) => logger.error({ err }, 'health check round failed'));
      if (running) loop();
    }, tickMs);
  };

  return {
    start() {
      if (running) return;
      running = true;
      loop();
    },
    stop() {
      running = false;
      clearTimeout(timer);
    },
  };
}
