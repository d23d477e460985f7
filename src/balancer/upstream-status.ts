import { HttpError } from '../shared/http-error.js';

/** Why a try at a worker did not produce an answer for the client. */
export type FailureKind = 'timeout' | 'connection' | 'server_error';

export interface UpstreamFailure {
  kind: FailureKind;
  /** A short human reason, kept as the worker's `last_error`. */
  message: string;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

/** Maps an error thrown by the HTTP client (undici or a socket) to a failure kind. */
export function classifyError(err: unknown): UpstreamFailure {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
  const text = err instanceof Error ? err.message : String(err);
  if (code !== undefined && TIMEOUT_CODES.has(code)) return { kind: 'timeout', message: `timeout (${code})` };
  return { kind: 'connection', message: code ? `${code}: ${text}` : text };
}

/** A worker's own status: 5xx is its fault, anything below is an answer to pass through. */
export function classifyStatus(status: number): UpstreamFailure | undefined {
  return status >= 500 ? { kind: 'server_error', message: `answered ${status}` } : undefined;
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
