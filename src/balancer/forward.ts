import { Agent, type Dispatcher } from 'undici';
import { REQUEST_ID_HEADER } from '../shared/request-id.js';
import type { Cancellation } from './cancellation.js';
import { classifyError, classifyStatus, type UpstreamFailure } from './upstream-status.js';

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
 * The balancer's HTTP client to workers: the only module that knows which client library is
 * on the hot path. undici keeps a keep-alive pool per worker origin and never follows
 * redirects; `dispatch` with a small handler skips the stream and promise machinery of
 * `request()`, which measured as a large part of the balancer's cost per request.
 */
export function createUpstream({ requestTimeoutMs, probeTimeoutMs, connectTimeoutMs = 2_000 }: UpstreamOptions): Upstream {
  const agent = new Agent({
    connect: { timeout: connectTimeoutMs },
    headersTimeout: requestTimeoutMs,
    bodyTimeout: requestTimeoutMs,
    keepAliveTimeout: 4_000,
  });

  return {
    forward(origin, path, requestId, { timeoutMs = requestTimeoutMs, cancellation } = {}) {
      if (cancellation?.cancelled) return Promise.resolve({ ok: false, kind: 'aborted', message: 'cancelled' });
      return new Promise<ForwardResult>((resolve) => {
        let controller: Dispatcher.DispatchController | undefined;
        let unsubscribe = (): void => {};
        let settled = false;
        let status = 0;
        let contentType: string | undefined;
        let retryAfter: string | undefined;
        const chunks: Buffer[] = [];
        let size = 0;

        const settle = (result: ForwardResult): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          unsubscribe();
          resolve(result);
        };
        // Settle first: aborting calls onResponseError at once, which must not win.
        const stop = (reason: Error, result: ForwardResult): void => {
          settle(result);
          controller?.abort(reason);
        };
        // undici's own timeouts tick in half seconds; a try's budget needs a precise timer.
        const timer = setTimeout(
          () => stop(new Error('try timed out'), { ok: false, kind: 'timeout', message: `no answer within ${timeoutMs} ms` }),
          timeoutMs,
        );
        if (cancellation) {
          unsubscribe = cancellation.onCancel(() => stop(new Error('client went away'), { ok: false, kind: 'aborted', message: 'cancelled' }));
        }

        agent.dispatch(
          { origin, path, method: 'GET', headers: { [REQUEST_ID_HEADER]: requestId, accept: 'application/json' } },
          {
            onRequestStart(c) {
              controller = c;
              if (settled) c.abort(new Error('already settled'));
            },
            onResponseStart(_c, statusCode, headers) {
              status = statusCode;
              contentType = headerValue(headers['content-type']);
              retryAfter = headerValue(headers['retry-after']);
            },
            onResponseData(c, chunk) {
              size += chunk.length;
              if (size > MAX_ANSWER_BYTES) {
                settle({ ok: false, kind: 'bad_response', message: `answer over ${MAX_ANSWER_BYTES} bytes` });
                c.abort(new Error('answer too large'));
                return;
              }
              chunks.push(chunk);
            },
            onResponseEnd() {
              const failure = classifyStatus(status, contentType);
              if (failure) {
                settle({ ok: false, ...failure });
                return;
              }
              settle({
                ok: true,
                status,
                contentType: contentType ?? 'application/json; charset=utf-8',
                retryAfter,
                body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
              });
            },
            onResponseError(_c, err) {
              settle({ ok: false, ...classifyError(err) });
            },
          },
        );
      });
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

    // Called once the server has answered every client: nothing in flight is worth waiting for.
    close: () => agent.destroy(),
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
