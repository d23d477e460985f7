import type { Transition } from '../workers/registry.js';

/** One second of one server's answers. */
export interface HistoryPoint {
  /** The second's start (epoch ms). */
  t: number;
  rps: number;
  p50_ms: number | null;
  p99_ms: number | null;
}

export interface TimelineEvent {
  time: string;
  server: string;
  from: string | null;
  to: string;
  reason: string;
}

export interface HistoryOptions {
  /** How far back the charts go. */
  seconds?: number;
  /** State changes kept for the timeline. */
  events?: number;
  /** Servers charted at once: the first to answer; a removed server makes room. */
  servers?: number;
  now?: () => number;
}

/**
 * Charted servers by default. Charts are for reading at a glance, and each charted server holds
 * up to `seconds` points: with a thousand workers, charting them all would cost megabytes that
 * grow with the number of workers and draw a page nobody can read.
 */
const CHARTED_SERVERS = 24;

/** Latencies kept per server and second for its percentiles; beyond, answers are only counted. */
const SAMPLES_PER_SECOND = 2_000;

interface Bucket {
  second: number;
  count: number;
  latencies: number[];
}

/**
 * What the status page draws: each server's answers per second with their p50 and p99 over
 * the last few minutes, and the latest state changes with their reasons. Each answer costs a
 * push onto this second's list; a second is summed up once the next one starts (or when the
 * page asks), so there is no timer.
 */
export class StatusHistory {
  private readonly buckets = new Map<string, Bucket>();
  private readonly series = new Map<string, HistoryPoint[]>();
  private readonly events: TimelineEvent[] = [];
  /** The first second anything was answered: the charts start there until the window is full. */
  private firstSecond: number | undefined;
  private readonly seconds: number;
  private readonly maxEvents: number;
  private readonly maxServers: number;
  private readonly now: () => number;

  constructor({ seconds = 300, events = 100, servers = CHARTED_SERVERS, now = Date.now }: HistoryOptions = {}) {
    this.seconds = seconds;
    this.maxEvents = events;
    this.maxServers = servers;
    this.now = now;
  }

  /** A worker answered a request in `ms`. */
  answered(server: string, ms: number): void {
    let bucket = this.buckets.get(server);
    if (!bucket && this.buckets.size >= this.maxServers) return;
    const second = Math.floor(this.now() / 1000);
    this.firstSecond ??= second;
    if (!bucket) {
      bucket = { second, count: 0, latencies: [] };
      this.buckets.set(server, bucket);
    } else if (bucket.second !== second) {
      // Summed up already if the page asked since.
      if (bucket.count > 0) this.close(server, bucket);
      bucket.second = second;
      bucket.count = 0;
      bucket.latencies = [];
    }
    bucket.count += 1;
    if (bucket.latencies.length < SAMPLES_PER_SECOND) bucket.latencies.push(ms);
  }

  /** A worker changed state (registry's onTransition); `forget`: its chart goes too. */
  transition({ server, from, to, reason }: Transition, { forget = to === 'removed' } = {}): void {
    if (forget) {
      this.buckets.delete(server.name);
      this.series.delete(server.name);
    }
    this.events.push({ time: new Date(this.now()).toISOString(), server: server.name, from, to, reason });
    if (this.events.length > this.maxEvents) this.events.splice(0, this.events.length - this.maxEvents);
  }

  /**
   * Every second of the window (from the first answer, until the window is full) for every
   * charted server, quiet seconds as 0; how many servers can be charted; and the timeline,
   * newest first.
   */
  view(): { interval_s: number; max_servers: number; servers: Record<string, HistoryPoint[]>; timeline: TimelineEvent[] } {
    const current = Math.floor(this.now() / 1000);
    const first = Math.max(current - this.seconds + 1, this.firstSecond ?? current);
    const servers: Record<string, HistoryPoint[]> = {};
    for (const [server, bucket] of this.buckets) {
      // The second under way is not over: it is drawn once it is.
      if (bucket.second < current && bucket.count > 0) {
        this.close(server, bucket);
        bucket.count = 0;
        bucket.latencies = [];
      }
      const known = new Map((this.series.get(server) ?? []).map((p) => [p.t, p]));
      const points: HistoryPoint[] = [];
      for (let s = first; s < current; s++) points.push(known.get(s * 1000) ?? { t: s * 1000, rps: 0, p50_ms: null, p99_ms: null });
      servers[server] = points;
    }
    return { interval_s: 1, max_servers: this.maxServers, servers, timeline: [...this.events].reverse() };
  }

  private close(server: string, bucket: Bucket): void {
    // A typed array sorts numbers natively: 0.12 ms for a full second's 2,000 samples, against
    // 0.37 ms with a comparator, once a second for each charted server.
    const sorted = Float64Array.from(bucket.latencies).sort();
    const at = (q: number) => (sorted.length === 0 ? null : round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!));
    let points = this.series.get(server);
    if (!points) {
      points = [];
      this.series.set(server, points);
    }
    points.push({ t: bucket.second * 1000, rps: bucket.count, p50_ms: at(0.5), p99_ms: at(0.99) });
    const oldest = (bucket.second - this.seconds) * 1000;
    while (points.length > 0 && points[0]!.t <= oldest) points.shift();
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;
