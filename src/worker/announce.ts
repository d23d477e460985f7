import axios from 'axios';
import { backoffDelay } from '../shared/backoff.js';
import type { Logger } from '../shared/logger.js';

/**
 * An announcement or deregistration not answered in this long has failed: a balancer that hangs
 * holds up neither the retries nor the worker's shutdown.
 */
const REQUEST_TIMEOUT_MS = 2_000;

export interface AnnouncerOptions {
  balancerUrl: string;
  advertisedUrl: string;
  name: string;
  /** How many requests it can run at once (the balancer sends no more). */
  capacity?: number;
  registrationToken: string | undefined;
  logger: Logger;
  /** Re-announce this often while registered, so a restarted balancer learns us back. */
  intervalMs: number;
  /** Cap of the backoff between failed attempts (never above intervalMs). */
  retryMaxMs: number;
  retryBaseMs?: number;
  post?: PostJson;
  random?: () => number;
}

/** POSTs a JSON body and rejects unless the reply is 2xx. */
export type PostJson = (url: string, body: unknown, headers: Record<string, string>, timeoutMs: number) => Promise<unknown>;

const axiosPost: PostJson = (url, body, headers, timeoutMs) =>
  axios.post(url, body, { headers, timeout: timeoutMs, maxRedirects: 0 });

export interface Announcer {
  /** Starts announcing now and keeps at it until stop(). */
  start(): void;
  stop(): void;
  /** Tells the balancer we are draining. Never throws: shutdown goes on regardless. */
  deregister(): Promise<void>;
  /** Resolves after the first accepted announcement (for tests and the local stack). */
  readonly registered: Promise<void>;
}

/**
 * Registers the worker with the balancer (`POST /server_up`), retrying with capped
 * exponential backoff while the balancer is unreachable, then re-announcing every
 * `intervalMs`. Uses axios: this is the control path, not the request path.
 */
export function createAnnouncer({
  balancerUrl,
  advertisedUrl,
  name,
  capacity,
  registrationToken,
  logger,
  intervalMs,
  retryMaxMs,
  retryBaseMs = 100,
  post: postJson = axiosPost,
  random = Math.random,
}: AnnouncerOptions): Announcer {
  const headers: Record<string, string> = registrationToken ? { Authorization: `Bearer ${registrationToken}` } : {};
  const body = capacity === undefined ? { address: advertisedUrl, name } : { address: advertisedUrl, name, capacity };
  const log = logger.child({ balancer: balancerUrl, address: advertisedUrl });

  let timer: NodeJS.Timeout | undefined;
  let stopped = true;
  /** The announcement on its way, so that a deregistration never overtakes it. */
  let pending: Promise<void> = Promise.resolve();
  let failures = 0;
  let isRegistered = false;
  let markRegistered: () => void = () => {};
  const registered = new Promise<void>((resolve) => (markRegistered = resolve));

  const post = (path: string) => postJson(`${balancerUrl}${path}`, body, headers, REQUEST_TIMEOUT_MS);

  const schedule = (delayMs: number): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      pending = announce();
    }, delayMs);
  };

  const announce = async (): Promise<void> => {
    try {
      await post('/server_up');
      if (!isRegistered) log.info({ afterFailures: failures }, 'registered with the balancer');
      else log.debug('re-announced to the balancer');
      isRegistered = true;
      failures = 0;
      markRegistered();
      schedule(intervalMs);
    } catch (err) {
      if (stopped) return;
      // Capped at the interval too: a balancer that comes back learns this worker within one
      // announce period, as it would had the worker been announcing all along.
      const delay = backoffDelay(failures, { baseMs: retryBaseMs, maxMs: Math.min(retryMaxMs, intervalMs), random });
      failures += 1;
      const level = failures === 1 || failures % 10 === 0 ? 'warn' : 'debug';
      log[level]({ reason: describe(err), attempt: failures, retryInMs: delay }, 'balancer did not accept the announcement');
      isRegistered = false;
      schedule(delay);
    }
  };

  return {
    registered,
    start() {
      if (!stopped) return;
      stopped = false;
      schedule(0);
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
    async deregister() {
      // A /server_up still on its way would arrive after /server_down and undo it.
      await pending;
      try {
        await post('/server_down');
        log.info('deregistered from the balancer');
      } catch (err) {
        log.warn({ reason: describe(err) }, 'could not deregister; the balancer will notice by itself');
      }
    },
  };
}

/**
 * A short reason for the log, not axios's whole request dump: the balancer's own error and
 * message when it answered (`forbidden_caller`, `unauthorized`: what to fix), else the
 * connection's error code.
 */
function describe(err: unknown): { message: string; status?: number; error?: string; code?: string } {
  if (!axios.isAxiosError(err)) return { message: err instanceof Error ? err.message : String(err) };
  const { response } = err;
  if (!response) return { message: err.message, code: err.code };
  const body = response.data as { error?: unknown; message?: unknown } | undefined;
  const said = typeof body?.message === 'string' ? body.message : err.message;
  return { message: said, status: response.status, ...(typeof body?.error === 'string' && { error: body.error }) };
}
