import { HttpError } from '../shared/http-error.js';

/** Why a try at a worker did not produce an answer for the client. */
export type FailureKind = 'timeout' | 'connection' | 'refused' | 'server_error' | 'bad_response' | 'aborted';

export interface UpstreamFailure {
  kind: FailureKind;
  /** A short human reason, kept as the worker's `last_error`. */
  message: string;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);
/** Nobody is listening there (any more): the worker is gone, whatever the failure threshold. */
const REFUSED_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE']);

/** Maps an error thrown by the HTTP client (undici or a socket) to a failure kind. */
export function classifyError(err: unknown): UpstreamFailure {
  const code = codeOf(err);
  const causeCode = codeOf(typeof err === 'object' && err !== null && 'cause' in err ? err.cause : undefined);
  const text = err instanceof Error ? err.message : String(err);
  if (code !== undefined && TIMEOUT_CODES.has(code)) return { kind: 'timeout', message: `timeout (${code})` };
  if (code === 'UND_ERR_ABORTED' || (err instanceof Error && err.name === 'AbortError')) return { kind: 'aborted', message: 'cancelled' };
  const refused = [code, causeCode].find((c) => c !== undefined && REFUSED_CODES.has(c));
  if (refused) return { kind: 'refused', message: refused };
  if (code?.startsWith('HPE_') || (err instanceof Error && err.name === 'HTTPParserError')) {
    return { kind: 'bad_response', message: `not HTTP (${text})` };
  }
  return { kind: 'connection', message: code ? `${code}: ${text}` : text };
}

function codeOf(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/**
 * A worker's own status. 5xx is its fault; a redirect is never followed (a worker has no
 * business sending one); an answer that is not JSON is garbage. Anything else (2xx or 4xx
 * JSON) is an answer to pass through.
 */
export function classifyStatus(status: number, contentType?: string): UpstreamFailure | undefined {
  if (status >= 500) return { kind: 'server_error', message: `answered ${status}` };
  if (status >= 300 && status < 400) return { kind: 'bad_response', message: `answered a redirect (${status})` };
  // Every answer passed to a client is JSON (a 4xx included): anything else is not a worker's.
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
