/**
 * Capped exponential backoff with "equal jitter": half the delay is fixed, half random, so
 * that many retriers started together spread out but none retries immediately.
 * `attempt` counts from 0 (the first retry).
 */
export function backoffDelay(
  attempt: number,
  { baseMs, maxMs, random = Math.random }: { baseMs: number; maxMs: number; random?: () => number },
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
