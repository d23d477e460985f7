import { Agent } from 'undici';
import { REQUEST_ID_HEADER } from '../../shared/request-id.js';
import { classifyError, type UpstreamFailure } from './failure.js';

/** A worker's reply as it came, before anyone judged it. */
export interface UpstreamResponse {
  ok: true;
  status: number;
  contentType: string | undefined;
  retryAfter: string | undefined;
  body: Buffer;
}

export type ForwardResult = UpstreamResponse | ({ ok: false } & UpstreamFailure);

export type ProbeResult = { ok: true } | { ok: false; message: string };

export interface UpstreamClient {
  /**
   * `GET path` at a worker; never throws, failures come back as data. `timeoutMs` bounds the
   * wait for the answer; `signal` cancels the request (the client hung up).
   */
  forward(origin: string, path: string, requestId: string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<ForwardResult>;
  /** `GET /health_check`; ok when the worker answers 200 in time. */
  probe(origin: string): Promise<ProbeResult>;
  close(): Promise<void>;
}

export interface UpstreamClientOptions {
  probeTimeoutMs: number;
  connectTimeoutMs?: number;
}

const CANCELLED: ForwardResult = { ok: false, kind: 'aborted', message: 'cancelled' };

/** A worker's answer is a few dozen bytes; anything past this is not one. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * The balancer's client to workers, on undici: one Agent, which keeps a pool of kept-alive
 * connections per worker. It never follows redirects and reads at most MAX_ANSWER_BYTES of an
 * answer. A try ends after `timeoutMs` whatever it is waiting for (a connection, headers, body).
 */
export function createUpstreamClient({ probeTimeoutMs, connectTimeoutMs = 2_000 }: UpstreamClientOptions): UpstreamClient {
  const agent = new Agent({
    connect: { timeout: connectTimeoutMs },
    // Under Node's default keep-alive timeout (5 s), which our workers keep.
    keepAliveTimeout: 4_000,
    maxResponseSize: MAX_ANSWER_BYTES,
    maxHeaderSize: 16 * 1024,
  });

  const get = async (origin: string, path: string, headers: Record<string, string>, timeoutMs: number, hangUp?: AbortSignal): Promise<ForwardResult> => {
    if (hangUp?.aborted) return CANCELLED;
    // undici's headers and body timeouts run on its coarse timers (about a second's resolution):
    // they are set as a backstop, and this timer ends the try on time.
    const stop = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      stop.abort();
    }, timeoutMs);
    const onHangUp = (): void => stop.abort();
    hangUp?.addEventListener('abort', onHangUp, { once: true });
    try {
      const res = await agent.request({ origin, path, method: 'GET', headers, signal: stop.signal, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
      const body = Buffer.from(await res.body.arrayBuffer());
      return {
        ok: true,
        status: res.statusCode,
        contentType: header(res.headers['content-type']),
        retryAfter: header(res.headers['retry-after']),
        body,
      };
    } catch (err) {
      if (timedOut) return { ok: false, kind: 'timeout', message: `no answer within ${timeoutMs} ms` };
      if (hangUp?.aborted) return CANCELLED;
      return { ok: false, ...classifyError(err, timeoutMs) };
    } finally {
      clearTimeout(timer);
      hangUp?.removeEventListener('abort', onHangUp);
    }
  };

  return {
    forward: (origin, path, requestId, { timeoutMs, signal }) => get(origin, path, { [REQUEST_ID_HEADER]: requestId }, timeoutMs, signal),


    async probe(origin) {
      const result = await get(origin, '/health_check', {}, probeTimeoutMs);
      if (!result.ok) return { ok: false, message: `health check: ${result.message}` };
      return result.status === 200 ? { ok: true } : { ok: false, message: `health check answered ${result.status}` };
    },

    // Called once the server has answered every client: nothing in flight is worth waiting for.
    close: () => agent.destroy(),
  };
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
