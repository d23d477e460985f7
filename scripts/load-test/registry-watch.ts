import { request } from 'undici';

export interface StatusChange {
  at: number;
  server: string;
  from: string | null;
  to: string;
}

/**
 * Polls the balancer's `/servers` while the load test runs, so the report can say when the
 * balancer took a worker out of rotation and when it put it back, as the balancer saw it.
 */
export class RegistryWatch {
  private readonly last = new Map<string, string>();
  readonly changes: StatusChange[] = [];
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(
    private readonly balancerUrl: string,
    private readonly intervalMs = 50,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.poll();
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const res = await request(`${this.balancerUrl}/servers`, { headersTimeout: 2_000, bodyTimeout: 2_000 });
      const { servers } = (await res.body.json()) as { servers: Array<{ name: string; status: string }> };
      const at = Date.now();
      for (const { name, status } of servers) {
        const previous = this.last.get(name) ?? null;
        if (previous !== status) {
          this.changes.push({ at, server: name, from: previous, to: status });
          this.last.set(name, status);
        }
      }
    } catch {
      // The balancer being briefly unreachable is itself visible in the request results.
    } finally {
      this.polling = false;
    }
  }
}

/** Waits until the balancer reports `wanted` active workers; returns how many it last reported. */
export async function waitForActive(balancerUrl: string, wanted: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let active = 0;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${balancerUrl}/health_check`);
      active = ((await res.json()) as { active_servers: number }).active_servers;
      if (active >= wanted) return active;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return active;
}
