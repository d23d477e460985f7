import type { UpstreamClient } from '../upstream/client.js';
import type { UpstreamFailure } from '../upstream/failure.js';
import { judgeResponse } from '../routing/judge.js';
import type { Range, TaskCounts } from './ranges.js';

export type TaskOutcome =
  | { ok: true; counts: TaskCounts; elapsedMs: number }
  /** `rejected`: the worker answered 4xx (it will not count this range: too wide for it, say). */
  | { ok: false; failure: UpstreamFailure; rejected: boolean };

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/**
 * Asks a worker to count one task's range (`GET /count_primes/:from/:to`) and checks its answer:
 * a reply that is not a count of exactly this range is a bad response, never a count.
 */
export async function countOnWorker(
  upstream: UpstreamClient,
  address: string,
  range: Range,
  { requestId, timeoutMs, signal }: { requestId: string; timeoutMs: number; signal: AbortSignal },
): Promise<TaskOutcome> {
  const result = await upstream.forward(address, `/count_primes/${range.from}/${range.to}`, requestId, { timeoutMs, signal });
  if (!result.ok) return { ok: false, failure: result, rejected: false };
  const failure = judgeResponse(result);
  if (failure) return { ok: false, failure, rejected: false };
  if (result.status !== 200) {
    return { ok: false, failure: { kind: 'bad_response', message: `refused the task: ${result.status} ${result.body.toString('utf8').slice(0, 200)}` }, rejected: true };
  }
  const counts = parseCounts(result.body, range);
  if (typeof counts === 'string') return { ok: false, failure: { kind: 'bad_response', message: counts }, rejected: false };
  return { ok: true, ...counts };
}

function parseCounts(body: Buffer, range: Range): { counts: TaskCounts; elapsedMs: number } | string {
  let reply: unknown;
  try {
    reply = JSON.parse(body.toString('utf8'));
  } catch {
    return 'answered a task with something that is not JSON';
  }
  if (typeof reply !== 'object' || reply === null) return 'answered a task with something that is not a count';
  const { from, to, primes, twin_primes: twins, first_prime: first, last_prime: last, elapsed_ms: elapsedMs } = reply as Record<string, unknown>;
  const decimal = (value: unknown): value is string => typeof value === 'string' && DECIMAL.test(value);
  const prime = (value: unknown): value is string | null => value === null || decimal(value);
  if (!decimal(from) || !decimal(to) || !decimal(primes) || !decimal(twins) || !prime(first) || !prime(last)) {
    return 'answered a task with a malformed count';
  }
  if (BigInt(from) !== range.from || BigInt(to) !== range.to) return `answered for [${from}, ${to}] instead of [${range.from}, ${range.to}]`;
  return {
    counts: {
      from: range.from,
      to: range.to,
      primes: BigInt(primes),
      twins: BigInt(twins),
      firstPrime: first === null ? null : BigInt(first),
      lastPrime: last === null ? null : BigInt(last),
    },
    elapsedMs: typeof elapsedMs === 'number' && Number.isFinite(elapsedMs) ? elapsedMs : 0,
  };
}
