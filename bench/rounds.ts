import { cpuSeconds } from './tools.js';

/** Something the bench sends load to: its origin and the processes whose CPU is its own. */
export interface Target {
  name: string;
  url: string;
  pids: () => number[];
}

/** The middle value; with an even count, the mean of the two in the middle. */
export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The targets in turn, the order reversed every other round: no target always goes first. */
export function inTurn<T>(entries: readonly T[], round: number): T[] {
  return round % 2 === 0 ? [...entries] : [...entries].reverse();
}

/**
 * CPU seconds the processes have used so far. A process gone since its pid was read (a
 * calculator the worker restarted mid-round) counts nothing rather than ending the run.
 */
export function cpuOf(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => {
    try {
      return sum + cpuSeconds(pid);
    } catch {
      return sum;
    }
  }, 0);
}

/**
 * Waits until the workers are idle. When a run stops, a proxy that forwarded every request at
 * once (nginx) leaves the workers with dozens of queued heavy checks that cannot be cancelled;
 * without this wait they would eat the first second of the next run, whoever's run it is.
 */
export async function workersIdle(workerPorts: readonly number[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const inFlight = await Promise.all(
      workerPorts.map(async (port) => ((await (await fetch(`http://127.0.0.1:${port}/health_check`)).json()) as { in_flight: number }).in_flight),
    );
    if (inFlight.every((n) => n === 0) || Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}
