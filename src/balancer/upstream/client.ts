import { Agent, type Dispatcher } from 'undici';
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

type Failed = { ok: false } & UpstreamFailure;

export type ForwardResult = UpstreamResponse | Failed;

export type ProbeResult = { ok: true } | { ok: false; message: string };

export interface UpstreamClient {
  /**
   * `GET path` at a worker; never throws, failures come back as data. `timeoutMs` bounds the
   * wait for the answer; `signal` cancels the request (the client hung up).
   */
  forward(origin: string, path: string, requestId: string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<ForwardResult>;
  /**
   * `GET /health_check`, or with `light` a light check (`GET /is_prime/2`, see the registry's
   * lightProbe); ok when the worker answers 200 in time.
   */
  probe(origin: string, light?: boolean): Promise<ProbeResult>;
  close(): Promise<void>;
}

export interface UpstreamClientOptions {
  probeTimeoutMs: number;
  /** How often an idle worker is probed (HEALTH_CHECK_INTERVAL_MS): whether a probe's connection is worth keeping. */
  probeIntervalMs: number;
}

/** How long an idle connection to a worker is kept: under Node's default keep-alive timeout (5 s), which our workers keep. */
const KEEP_ALIVE_MS = 4_000;

/** A worker that has not taken the connection in this long is not there (docs/failure-behaviour.md). */
const CONNECT_TIMEOUT_MS = 2_000;

/** A light check a worker answers in microseconds: the probe of a worker whose health check hides a fault. */
const LIGHT_CHECK_PATH = '/is_prime/2';

const CANCELLED: Failed = { ok: false, kind: 'aborted', message: 'cancelled' };

/** A worker's answer is a few dozen bytes; anything past this is not one. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * The balancer's client to workers, on undici. It never follows redirects and reads at most
 * MAX_ANSWER_BYTES of an answer. A try ends after `timeoutMs` whatever it is waiting for (a
 * connection, headers, body).
 *
 * Requests go through one Agent, which keeps a pool of kept-alive connections per worker. Health
 * probes have an Agent of their own, one connection per worker (no pool). With the default
 * interval (5 s) an idle worker's next probe comes after its connection would have idled out
 * (KEEP_ALIVE_MS), so a probe's connection is closed after the answer rather than held for
 * nothing; with a shorter interval it is kept for the next probe. Measured with 1,000 idle
 * workers (BENCHMARKS.md, "At scale"): half the heap, and about a third less CPU, than probes
 * through the requests' pools.
 */
export function createUpstreamClient({ probeTimeoutMs, probeIntervalMs }: UpstreamClientOptions): UpstreamClient {
  const limits = { connect: { timeout: CONNECT_TIMEOUT_MS }, maxResponseSize: MAX_ANSWER_BYTES, maxHeaderSize: 16 * 1024, keepAliveTimeout: KEEP_ALIVE_MS };
  const requests = new Agent(limits);
  const probes = new Agent({ ...limits, connections: 1 });
  const closeProbeConnections = probeIntervalMs >= KEEP_ALIVE_MS;

  const get = (
    agent: Agent,
    { origin, path, headers, reset }: { origin: string; path: string; headers: Record<string, string>; reset: boolean },
    timeoutMs: number,
    hangUp?: AbortSignal,
  ): Promise<ForwardResult> => {
    if (hangUp?.aborted) return Promise.resolve(CANCELLED);
    return new Promise((resolve) => {
      let controller: Dispatcher.DispatchController | undefined;
      let stopped: Failed | undefined;
      let done = false;
      const finish = (result: ForwardResult): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        hangUp?.removeEventListener('abort', onHangUp);
        resolve(result);
      };
      // The try ends at once; the request itself is aborted as soon as undici has started it.
      const stop = (failure: Failed): void => {
        stopped ??= failure;
        controller?.abort(new Error(failure.message));
        finish(stopped);
      };
      // undici's headers and body timeouts run on its coarse timers (about a second's resolution):
      // they are set as a backstop, and this timer ends the try on time.
      const timer = setTimeout(() => stop({ ok: false, kind: 'timeout', message: `no answer within ${timeoutMs} ms` }), timeoutMs);
      const onHangUp = (): void => stop(CANCELLED);
      hangUp?.addEventListener('abort', onHangUp, { once: true });

      let status = 0;
      let contentType: string | undefined;
      let retryAfter: string | undefined;
      const chunks: Buffer[] = [];
      // undici's handler API rather than request(): no stream and no AbortController for an
      // answer of a few dozen bytes (measured: about 30 µs less CPU per light request, a sixth of
      // the balancer's).
      agent.dispatch(
        { origin, path, method: 'GET', headers, reset, headersTimeout: timeoutMs, bodyTimeout: timeoutMs },
        {
          onRequestStart(started) {
            controller = started;
            if (stopped) started.abort(new Error(stopped.message));
          },
          onResponseStart(_controller, statusCode, responseHeaders) {
            status = statusCode;
            contentType = header(responseHeaders['content-type']);
            retryAfter = header(responseHeaders['retry-after']);
          },
          onResponseData(_controller, chunk) {
            chunks.push(chunk);
          },
          onResponseEnd() {
            finish({ ok: true, status, contentType, retryAfter, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) });
          },
          onResponseError(_controller, err) {
            finish(stopped ?? { ok: false, ...classifyError(err, timeoutMs) });
          },
        },
      );
    });
  };

  const probeOnce = async (origin: string, light: boolean): Promise<ProbeResult> => {
    const [path, what] = light ? [LIGHT_CHECK_PATH, 'light check'] : ['/health_check', 'health check'];
    const result = await get(probes, { origin, path, headers: {}, reset: closeProbeConnections }, probeTimeoutMs);
    if (!result.ok) return { ok: false, message: `${what}: ${result.message}` };
    return result.status === 200 ? { ok: true } : { ok: false, message: `${what} answered ${result.status}` };
  };
  const probing = new Map<string, Promise<ProbeResult>>();

  return {
    forward: (origin, path, requestId, { timeoutMs, signal }) =>
      get(requests, { origin, path, headers: { [REQUEST_ID_HEADER]: requestId }, reset: false }, timeoutMs, signal),

    probe(origin, light = false) {
      // One probe per worker at a time: the health checker's and one after a timed-out try share
      // it, instead of the second waiting for the first's one connection and running out of time.
      const key = light ? `${origin} light` : origin;
      let running = probing.get(key);
      if (!running) {
        running = probeOnce(origin, light).finally(() => probing.delete(key));
        probing.set(key, running);
      }
      return running;
    },

    // Called once the server has answered every client: nothing in flight is worth waiting for.
    close: async () => {
      await Promise.all([requests.destroy(), probes.destroy()]);
    },
  };
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
