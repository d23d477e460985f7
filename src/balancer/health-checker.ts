import type { Logger } from '../shared/logger.js';
import type { ProbeResult } from './forward.js';
import type { Registry, ServerEntry } from './registry.js';

export interface HealthCheckerOptions {
  registry: Registry;
  probe: (address: string) => Promise<ProbeResult>;
  logger: Logger;
  intervalMs: number;
  /** An active worker with no traffic for this long is probed; busy ones prove themselves. */
  idleAfterMs: number;
  now?: () => number;
  onResult?: (server: ServerEntry, result: ProbeResult) => void;
}

export interface HealthChecker {
  start(): void;
  stop(): void;
  /** One round: probes every worker that is due, in parallel, and applies the results. */
  runOnce(): Promise<void>;
}

/**
 * The background loop of the seed: every `intervalMs` it probes the inactive workers (to put
 * recovered ones back) and the idle active ones (to take dead ones out before a client finds
 * them). Rounds never overlap: the next is scheduled when the previous one has finished.
 */
export function createHealthChecker({
  registry,
  probe,
  logger,
  intervalMs,
  idleAfterMs,
  now = Date.now,
  onResult = () => {},
}: HealthCheckerOptions): HealthChecker {
  let timer: NodeJS.Timeout | undefined;
  let running = false;

  const isDue = (server: ServerEntry, at: number): boolean =>
    server.status !== 'active' || (server.inFlight === 0 && at - server.lastUsed >= idleAfterMs);

  const check = async (server: ServerEntry): Promise<void> => {
    const result = await probe(server.address);
    onResult(server, result);
    if (result.ok) registry.markHealthy(server);
    else if (server.status !== 'inactive') registry.markFailed(server, result.message);
    else logger.debug({ server: server.name, reason: result.message }, 'still unhealthy');
  };

  const runOnce = async (): Promise<void> => {
    const at = now();
    const due = registry.servers.filter((server) => isDue(server, at));
    await Promise.all(due.map(check));
  };

  const loop = (): void => {
    timer = setTimeout(() => {
      runOnce()
        .catch((err: unknown) => logger.error({ err }, 'health check round failed'))
        .finally(() => {
          if (running) loop();
        });
    }, intervalMs);
  };

  return {
    runOnce,
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
