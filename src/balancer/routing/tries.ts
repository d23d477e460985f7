import { HttpError } from '../../shared/http-error.js';
import type { Logger } from '../../shared/logger.js';
import type { UpstreamFailure } from '../upstream/failure.js';
import { hedgedTry, type Answered, type TryDeps } from './hedged-try.js';
import { errorForFailures, type WorkerJudge } from './judge.js';

export interface TriesDeps extends TryDeps {
  judgeWorker: WorkerJudge;
  /** Time for one try at a worker. */
  requestTimeoutMs: number;
  /** Time for the whole request, every try and every wait included. */
  requestDeadlineMs: number;
  /** Told to clients when no worker is active: roughly when the next health check runs. */
  retryAfterSeconds: number;
}

export interface ForwardRequest {
  path: string;
  requestId: string;
  heavy: boolean;
  /** When the request arrived (performance.now()), for its deadline. */
  started: number;
  signal: AbortSignal;
  /** The request's own logger (pino-http's `req.log`): its lines carry the request's id and url. */
  log: Logger;
}

/** How a request ended: the answer to pass on, an error reply, or the client gone. */
export type Outcome = Answered | HttpError | 'client_gone';

/**
 * Gets the request answered: waits for a worker with a free slot (admission), tries it, and
 * sends a failed try to a worker not yet tried, up to `maxTries` and within the deadline. A
 * client sees an error only when no healthy worker could answer in time.
 */
export async function forwardWithRetries(deps: TriesDeps, request: ForwardRequest): Promise<Outcome> {
  const { admission, metrics } = deps;
  const { log, signal } = request;
  const deadline = request.started + deps.requestDeadlineMs;
  const tried = new Set<string>();
  const failures: UpstreamFailure[] = [];

  while (tried.size < deps.maxTries && !signal.aborted) {
    const remaining = deadline - performance.now();
    if (remaining <= 0) {
      failures.push({ kind: 'timeout', message: 'request deadline passed' });
      break;
    }
    const admitted = await admission.acquire(tried, { signal, maxWaitMs: remaining, heavy: request.heavy });
    if (!admitted.ok) {
      if (admitted.reason === 'aborted') return 'client_gone';
      return refusalError(deps, admitted.reason, failures);
    }
    tried.add(admitted.server.address);
    const timeoutMs = Math.max(1, Math.min(deps.requestTimeoutMs, deadline - performance.now()));
    const answered = await hedgedTry(deps, admitted.server, { ...request, timeoutMs, tried }, (server, failure, answeredElsewhere, sentSince) => {
      metrics.retry(server.name, failure.kind);
      deps.judgeWorker(server, failure, request.heavy, sentSince);
      if (answeredElsewhere) {
        log.warn({ server: server.name, kind: failure.kind, reason: failure.message }, 'hedged try failed after the request was answered');
        return;
      }
      failures.push(failure);
      log.warn({ server: server.name, kind: failure.kind, reason: failure.message, tries: tried.size }, 'try failed');
    });
    if (answered) return answered;
  }
  if (signal.aborted) return 'client_gone';
  return errorForFailures(failures);
}

function refusalError(deps: TriesDeps, reason: 'no_active_servers' | 'exhausted' | 'overloaded', failures: readonly UpstreamFailure[]): HttpError {
  if (reason === 'overloaded' && failures.length === 0) {
    return new HttpError(503, 'overloaded', 'every server is busy, and the waiting queue is full or the wait for a free one ran out; try again later', {
      'Retry-After': String(deps.admission.retryAfterSeconds()),
    });
  }
  if (failures.length > 0) return errorForFailures(failures);
  return new HttpError(503, 'no_active_servers', 'no server is available right now', {
    'Retry-After': String(deps.retryAfterSeconds),
  });
}
