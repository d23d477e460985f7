import { Agent } from 'undici';
import { REQUEST_ID_HEADER } from '../shared/request-id.js';
import { classifyError, classifyStatus, type UpstreamFailure } from './upstream-status.js';

export interface UpstreamAnswer {
  ok: true;
  status: number;
  contentType: string;
  retryAfter: string | undefined;
  body: Buffer;
}

export type ForwardResult = UpstreamAnswer | ({ ok: false } & UpstreamFailure);

export interface Upstream {
  /**
   * Sends `GET path` to a worker; never throws, failures come back as data. `timeoutMs` bounds
   * the wait for the answer; `signal` cancels the request (the client hung up).
   */
  forward(origin: string, path: string, requestId: string, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<ForwardResult>;
  /** `GET /health_check`; true when the worker answers 200 in time. */
  probe(origin: string): Promise<ProbeResult>;
  close(): Promise<void>;
}

export type ProbeResult = { ok: true } | { ok: false; message: string };

export interface UpstreamOptions {
  requestTimeoutMs: number;
  probeTimeoutMs: number;
  connectTimeoutMs?: number;
}

/**
 * The balancer's HTTP client to workers: the only module that knows which client library is
 * on the hot path. undici keeps a keep-alive pool per worker origin, never follows redirects,
 * and costs about half of axios's CPU per request.
 */
export function createUpstream({ requestTimeoutMs, probeTimeoutMs, connectTimeoutMs = 2_000 }: UpstreamOptions): Upstream {
  const agent = new Agent({
    connect: { timeout: connectTimeoutMs },
    headersTimeout: requestTimeoutMs,
    bodyTimeout: requestTimeoutMs,
    keepAliveTimeout: 4_000,
  });

  return {
    async forward(origin, path, requestId, { timeoutMs = requestTimeoutMs, signal } = {}) {
      // undici's own timeouts tick in half seconds; a try's budget needs a precise timer.
      const cancel = new AbortController();
      const timer = setTimeout(() => cancel.abort(new TryTimeout(timeoutMs)), timeoutMs);
      const onClientGone = () => cancel.abort(signal?.reason);
      signal?.addEventListener('abort', onClientGone, { once: true });
      try {
        const res = await agent.request({
          origin,
          path,
          method: 'GET',
          headers: { [REQUEST_ID_HEADER]: requestId, accept: 'application/json' },
          signal: cancel.signal,
        });
        const body = Buffer.from(await res.body.arrayBuffer());
        const contentType = headerValue(res.headers['content-type']);
        const failure = classifyStatus(res.statusCode, contentType);
        if (failure) return { ok: false, ...failure };
        return {
          ok: true,
          status: res.statusCode,
          contentType: contentType ?? 'application/json; charset=utf-8',
          retryAfter: headerValue(res.headers['retry-after']),
          body,
        };
      } catch (err) {
        return { ok: false, ...classifyError(cancel.signal.reason instanceof TryTimeout ? cancel.signal.reason : err) };
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onClientGone);
      }
    },

    async probe(origin) {
      try {
        const res = await agent.request({
          origin,
          path: '/health_check',
          method: 'GET',
          signal: AbortSignal.timeout(probeTimeoutMs),
        });
        await res.body.dump();
        return res.statusCode === 200 ? { ok: true } : { ok: false, message: `health check answered ${res.statusCode}` };
      } catch (err) {
        const timedOut = err instanceof Error && err.name === 'TimeoutError';
        return { ok: false, message: `health check: ${timedOut ? `no answer within ${probeTimeoutMs} ms` : classifyError(err).message}` };
      }
    },

    close: () => agent.close(),
  };
}

/** The reason a try is cancelled when its time is up; classified as a timeout. */
class TryTimeout extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
