import type { RequestRecord } from './types.js';

export interface LatencySummary {
  avg: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface PhaseSummary {
  sent: number;
  succeeded: number;
  failed: number;
  failuresByReason: Record<string, number>;
  /** Of all answered requests (successes), in milliseconds. */
  latencyMs: LatencySummary;
  durationMs: number;
  requestsPerSecond: number;
  /** Successful requests per server (from X-Served-By) and their share of successes. */
  servedBy: Record<string, { count: number; share: number }>;
}

/** The largest value (a loop: spreading 100k values into Math.max overflows the stack). */
export function maxOf(values: Iterable<number>, floor: number): number {
  let max = floor;
  for (const v of values) if (v > max) max = v;
  return max;
}

/** Nearest-rank percentile of an ascending array; 0 for an empty one. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(records: readonly RequestRecord[], startedAt: number, endedAt: number): PhaseSummary {
  const latencies: number[] = [];
  const failuresByReason: Record<string, number> = {};
  const served: Record<string, number> = {};
  for (const r of records) {
    if (r.error === null) {
      latencies.push(r.latencyMs);
      const server = r.server ?? 'unknown';
      served[server] = (served[server] ?? 0) + 1;
    } else {
      failuresByReason[r.error] = (failuresByReason[r.error] ?? 0) + 1;
    }
  }
  latencies.sort((a, b) => a - b);
  const succeeded = latencies.length;
  const durationMs = Math.max(0, endedAt - startedAt);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    sent: records.length,
    succeeded,
    failed: records.length - succeeded,
    failuresByReason,
    latencyMs: {
      avg: round(succeeded === 0 ? 0 : latencies.reduce((a, b) => a + b, 0) / succeeded),
      p50: round(percentile(latencies, 50)),
      p95: round(percentile(latencies, 95)),
      p99: round(percentile(latencies, 99)),
      max: round(latencies.at(-1) ?? 0),
    },
    durationMs: round(durationMs),
    requestsPerSecond: round(durationMs === 0 ? 0 : (records.length * 1000) / durationMs),
    servedBy: Object.fromEntries(
      Object.entries(served)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([server, count]) => [server, { count, share: round(count / Math.max(1, succeeded)) }]),
    ),
  };
}

/**
 * Counts requests per server in time buckets, for the "requests per server over time" chart.
 * A request is counted in the bucket where it started.
 */
export function perServerOverTime(
  records: readonly RequestRecord[],
  startedAt: number,
  bucketMs: number,
): { bucketMs: number; series: Record<string, number[]> } {
  const series: Record<string, number[]> = {};
  const lastStart = maxOf(records.map((r) => r.start), startedAt);
  const buckets = Math.max(1, Math.ceil((lastStart - startedAt + 1) / bucketMs));
  for (const r of records) {
    const key = r.error === null ? (r.server ?? 'unknown') : 'failed';
    const row = (series[key] ??= new Array<number>(buckets).fill(0));
    const index = Math.min(buckets - 1, Math.floor((r.start - startedAt) / bucketMs));
    row[index] = (row[index] ?? 0) + 1;
  }
  return { bucketMs, series };
}
