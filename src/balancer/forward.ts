import type { Cancellation } from './cancellation.js';
import { UpstreamPool } from './upstream-pool.js';
import { classifyStatus, type UpstreamFailure } from './upstream-status.js';

export interface UpstreamAnswer {
  ok: true;
  status: number;
  contentType: string;
  retryAfter: string | undefined;
  body: Buffer;
}

export type ForwardResult = UpstreamAnswer | ({ ok: false } & UpstreamFailure);

export type ProbeResult = { ok: true } | { ok: false; message: string };

export interface Upstream {
  /**
   * Sends `GET path` to a worker; never throws, failures come back as data. `timeoutMs` bounds
   * the wait for the whole answer; `cancellation` cancels the request (the client hung up).
   */
  forward(
    origin: string,
    path: string,
    requestId: string,
    options?: { timeoutMs?: number; cancellation?: Cancellation },
  ): Promise<ForwardResult>;
  /** `GET /health_check`; ok when the worker answers 200 in time. */
  probe(origin: string): Promise<ProbeResult>;
  close(): Promise<void>;
}

export interface UpstreamOptions {
  requestTimeoutMs: number;
  probeTimeoutMs: number;
  connectTimeoutMs?: number;
}

/** A worker's answer is a few dozen bytes; anything past this is not one. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * The balancer's client to workers: the only module that knows how requests reach them.
 * Our own HTTP/1.1 client (upstream-pool.ts) with kept-alive connections per worker; it
 * never follows redirects, and reads at most MAX_ANSWER_BYTES of an answer.
 */
export function createUpstream({ requestTimeoutMs, probeTimeoutMs, connectTimeoutMs = 2_000 }: UpstreamOptions): Upstream {
  const pool = new UpstreamPool({
    connectTimeoutMs,
    // Under Node's default keep-alive timeout (5 s), which our workers keep.
    keepAliveMs: 4_000,
    limits: { maxHeadBytes: 16 * 1024, maxBodyBytes: MAX_ANSWER_BYTES },
  });

  return {
    async forward(origin, path, requestId, { timeoutMs = requestTimeoutMs, cancellation } = {}) {
      const exchange = await pool.request(origin, path, requestId, timeoutMs, cancellation);
      if (!exchange.ok) return exchange;
      const { status, contentType, retryAfter, body } = exchange.response;
      const failure = classifyStatus(status, contentType);
      if (failure) return { ok: false, ...failure };
      return { ok: true, status, contentType: contentType ?? 'application/json; charset=utf-8', retryAfter, body };
    },

    async probe(origin) {
      const exchange = await pool.request(origin, '/health_check', undefined, probeTimeoutMs, undefined);
      if (!exchange.ok) return { ok: false, message: `health check: ${exchange.message}` };
      return exchange.response.status === 200 ? { ok: true } : { ok: false, message: `health check answered ${exchange.response.status}` };
    },

    // Called once the server has answered every client: nothing in flight is worth waiting for.
    close: async () => pool.close(),
  };
}
