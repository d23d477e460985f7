/** Why a try at a worker did not produce an answer for the client. */
export type FailureKind = 'timeout' | 'connection' | 'refused' | 'server_error' | 'bad_response' | 'aborted';

export interface UpstreamFailure {
  kind: FailureKind;
  /** A short human reason, kept as the worker's `last_error`. */
  message: string;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
/**
 * Nobody is listening there (any more): the worker is gone, whatever the failure threshold.
 * undici's own "other side closed" (UND_ERR_SOCKET) is not among them unless its cause is: a
 * kept-alive connection the worker closed as a request went out says nothing about the worker.
 */
const REFUSED_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE']);

/**
 * Maps an error thrown by undici to a failure kind. `timeoutMs` is the try's budget, named in
 * the message so that a worker's `last_error` says how long it was given.
 */
export function classifyError(err: unknown, timeoutMs: number): UpstreamFailure {
  const code = codeOf(err);
  const causeCode = codeOf(err instanceof Error ? err.cause : undefined);
  const text = err instanceof Error ? err.message : String(err);
  if (code !== undefined && TIMEOUT_CODES.has(code)) return { kind: 'timeout', message: `no answer within ${timeoutMs} ms` };
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return { kind: 'timeout', message: `could not connect (${text})` };
  if (code === 'UND_ERR_ABORTED' || (err instanceof Error && err.name === 'AbortError')) return { kind: 'aborted', message: 'cancelled' };
  const refused = [code, causeCode].find((c) => c !== undefined && REFUSED_CODES.has(c));
  if (refused) return { kind: 'refused', message: refused };
  if (code?.startsWith('HPE_') || code === 'UND_ERR_INFO' || (err instanceof Error && err.name === 'HTTPParserError')) {
    return { kind: 'bad_response', message: `not HTTP (${text})` };
  }
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') return { kind: 'bad_response', message: 'answer too large' };
  return { kind: 'connection', message: code ? `${code}: ${text}` : text };
}

function codeOf(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  return typeof code === 'string' ? code : undefined;
}
