import { HttpError } from '../../shared/http-error.js';
import type { ProbeResult, UpstreamResponse } from '../upstream/client.js';
import type { UpstreamFailure } from '../upstream/failure.js';
import type { Registry, ServerEntry } from '../workers/registry.js';

/**
 * Whether a worker's reply is an answer to pass on. 5xx is the worker's fault; a redirect is
 * never followed (a worker has no business sending one); a reply that is not JSON is garbage.
 * Anything else (2xx or 4xx JSON) is an answer, a 4xx being the client's fault, not the worker's.
 */
export function judgeResponse({ status, contentType }: UpstreamResponse): UpstreamFailure | undefined {
  if (status >= 500) return { kind: 'server_error', message: `answered ${status}` };
  if (status >= 300 && status < 400) return { kind: 'bad_response', message: `answered a redirect (${status})` };
  if (!contentType?.startsWith('application/json')) {
    return { kind: 'bad_response', message: `answered ${status} with ${contentType ?? 'no content type'}` };
  }
  return undefined;
}

/**
 * The reply when every try failed: 504 if they all timed out (the work may simply be too
 * slow), 502 otherwise (the workers are broken).
 */
export function errorForFailures(failures: readonly UpstreamFailure[]): HttpError {
  if (failures.length > 0 && failures.every((f) => f.kind === 'timeout')) {
    return new HttpError(504, 'upstream_timeout', 'no server answered in time');
  }
  return new HttpError(502, 'upstream_failed', 'every server that was tried failed');
}

/**
 * `heavy`: the failed try was a heavy calculation (or a job's task), which may take long.
 * `sentSince`: the worker's `activeSince` when the try was sent. A try sent before the worker
 * last came back (a probe passed, or it announced itself) failed in an outage already counted:
 * it is not counted again, and only a probe, which says how the worker is now, can take it out.
 */
export type WorkerJudge = (server: ServerEntry, failure: UpstreamFailure, heavy: boolean, sentSince?: number) => void;

/**
 * Decides what a failed try says about the worker. Refused or reset: nobody is there, out at
 * once. Timeout: its health check is asked (in the background: the request has already moved
 * on; one probe per worker at a time, however many requests timed out there). A failed probe
 * takes the worker out at once. A passing one keeps a worker whose heavy calculation ran long:
 * it is busy, not broken. A light check takes a worker microseconds, so a worker that does not
 * answer one has a fault of its own, whatever its health check says: the timeout counts towards
 * FAILURE_THRESHOLD at once, as a 5xx does, and does not wait for the probe: a frozen worker left
 * active for the probe's time, with nothing in flight any more, would be the least loaded of all
 * and take a second round of requests, each to wait out its timeout.
 * Anything else counts towards FAILURE_THRESHOLD.
 */
export function createWorkerJudge({ registry, probe }: { registry: Registry; probe: (address: string) => Promise<ProbeResult> }): WorkerJudge {
  const probing = new WeakSet<ServerEntry>();
  return (server, failure, heavy, sentSince = server.activeSince) => {
    const stale = sentSince !== server.activeSince;
    if (failure.kind === 'refused') {
      if (stale) return;
      registry.recordFailure(server, failure.message, { immediate: true });
    } else if (failure.kind === 'timeout') {
      if (!heavy && !stale) {
        registry.recordFailure(server, `${failure.message} to a light check`);
        // Its health check may pass while light checks hang: only answering one puts it back.
        server.lightProbe = true;
      }
      if (probing.has(server)) return;
      probing.add(server);
      const probedSince = server.activeSince;
      void probe(server.address).then((result) => {
        probing.delete(server);
        // A worker already out for its light check's timeout is the health checker's now.
        if (!result.ok && server.status === 'active') registry.markFailed(server, `${failure.message}; ${result.message}`, probedSince);
        else if (result.ok && heavy) server.lastError = `${failure.message}; health check passed, kept in rotation`;
        else if (result.ok && !stale) server.lastError = `${failure.message} to a light check, though its health check passed`;
      });
    } else if (!stale) {
      registry.recordFailure(server, failure.message);
    }
  };
}
