import type { BalancerMetrics } from '../http/metrics.js';
import type { UpstreamClient, UpstreamResponse } from '../upstream/client.js';
import type { UpstreamFailure } from '../upstream/failure.js';
import type { Registry, ServerEntry } from '../workers/registry.js';
import type { AdmissionQueue } from './admission.js';
import type { Hedging } from './hedging.js';
import { judgeResponse } from './judge.js';

export interface TryDeps {
  registry: Registry;
  admission: AdmissionQueue;
  upstream: UpstreamClient;
  metrics: BalancerMetrics;
  /** Undefined when hedging is off: then a try is one request to one worker, and no timer. */
  hedging: Hedging | undefined;
  maxTries: number;
}

export interface TryRequest {
  /** `/is_prime/<n>`, the number in canonical form. */
  path: string;
  requestId: string;
  heavy: boolean;
  /** The try's budget: the request timeout, or what is left of the deadline. */
  timeoutMs: number;
  /** Aborted when the client hangs up: every request of the try is cancelled. */
  signal: AbortSignal;
  /** Workers this request has been sent to; a hedge adds its own. */
  tried: Set<string>;
}

/** A worker's reply that is an answer for the client (2xx, or its own 4xx). */
export interface Answered {
  server: ServerEntry;
  response: UpstreamResponse;
}

/**
 * Reports a failed request at `server`. `answeredElsewhere`: a hedge's other copy had already
 * answered the client, so this failure cost the client nothing. `sentSince`: the worker's
 * `activeSince` when the copy was sent (judge.ts).
 */
export type OnFailure = (server: ServerEntry, failure: UpstreamFailure, answeredElsewhere: boolean, sentSince: number) => void;

/**
 * One try: the request goes to `first`, which admission has already counted in. When hedging
 * is on, a light request not answered within the hedge delay also goes to another worker with
 * a free slot (never waiting for one): a light check takes microseconds, so a slow answer means
 * its worker is stalled, usually busy with heavy checks on every core. A hedge that cannot go
 * then (no budget left, no worker with room) is looked for again later. The first answer wins;
 * the other copy is left to finish and dropped, so that its connection stays usable, and its
 * failure, if any, is reported like any other. Resolves with the answer, or undefined when every
 * copy failed (each reported through `onFailure`); rejects only if our own bookkeeping throws.
 */
export function hedgedTry(deps: TryDeps, first: ServerEntry, request: TryRequest, onFailure: OnFailure): Promise<Answered | undefined> {
  const { upstream, registry, admission, hedging } = deps;
  const { path, requestId, heavy, timeoutMs, signal, tried } = request;
  return new Promise((resolve, reject) => {
    const firstStarted = performance.now();
    let running = 0;
    let settled = false;
    let hedgeTimer: NodeJS.Timeout | undefined;
    const settle = (answered: Answered | undefined, err?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(hedgeTimer);
      if (err === undefined) resolve(answered);
      else reject(err);
    };

    const send = (server: ServerEntry, budgetMs: number): void => {
      running += 1;
      const started = performance.now();
      const sentSince = server.activeSince;
      void upstream.forward(server.address, path, requestId, { timeoutMs: budgetMs, signal }).then((result) => {
        running -= 1;
        try {
          const failure = result.ok ? judgeResponse(result) : result;
          if (failure) {
            // A copy cancelled because the client hung up says nothing about the worker.
            if (failure.kind !== 'aborted') onFailure(server, failure, settled, sentSince);
          } else if (result.ok) {
            // A losing copy's answer is dropped, but it is an answer of its worker, and its time
            // is one of the light answer times the learned hedge delay is taken from (left out,
            // the slow copies that were hedged would bias it low). Only the winner's time says
            // how long the queue waits.
            const serviceMs = performance.now() - started;
            registry.recordAnswer(server, result.status < 400, serviceMs);
            if (!heavy) hedging?.delay.record(serviceMs);
            if (!settled) {
              admission.recordServiceTime(serviceMs);
              settle({ server, response: result });
            }
          }
        } catch (err) {
          settle(undefined, err);
        } finally {
          // Whatever happened above, the slot is given back and the race can end.
          admission.release(server, heavy);
          if (running === 0) settle(undefined);
        }
      });
    };

    /**
     * Sends the hedge, if it is still wanted; false when it cannot go now (no hedge left in the
     * budget, or no other worker with a free slot) and should be tried again later.
     */
    const hedge = (): boolean => {
      // Within the first copy's budget, so that a hedge never outlives the request's deadline.
      const budgetMs = timeoutMs - (performance.now() - firstStarted);
      if (settled || signal.aborted || tried.size >= deps.maxTries || budgetMs < 1 || !hedging) return true;
      if (!hedging.budget.available) return false;
      const admitted = admission.acquire(tried, { maxWaitMs: 0 });
      if (admitted instanceof Promise || !admitted.ok) return false;
      hedging.budget.spend();
      tried.add(admitted.server.address);
      deps.metrics.hedge(admitted.server.name);
      send(admitted.server, budgetMs);
      return true;
    };
    // A hedge that cannot go when its delay is up is looked for again, each time after twice as
    // long: when a worker stalls with more light requests on it than the budget's burst, the
    // ones past the burst are hedged as the budget refills, instead of waiting out the stall.
    const armHedge = (delayMs: number): void => {
      hedgeTimer = setTimeout(() => {
        try {
          // Never past the try's own time (nor Node's longest timer): the hedge is not wanted then.
          if (!hedge()) armHedge(Math.max(1, Math.min(delayMs * 2, timeoutMs - (performance.now() - firstStarted))));
        } catch (err) {
          settle(undefined, err);
        }
      }, delayMs);
    };

    const hedgeAfterMs = heavy ? undefined : hedging?.delay.ms;
    if (hedging && hedgeAfterMs !== undefined) {
      hedging.budget.earn();
      armHedge(hedgeAfterMs);
    }
    send(first, timeoutMs);
  });
}
