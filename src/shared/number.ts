import { HttpError } from './http-error.js';

export interface ParsedNumber {
  /** The value, arbitrary precision. */
  value: bigint;
  /** Its canonical decimal form: no leading zeros. */
  text: string;
}

const DIGITS = /^[0-9]+$/;

/**
 * The largest MAX_DIGITS either program accepts: the balancer forwards `/is_prime/<n>` with a
 * few headers of its own, and that request must stay under the worker's 16 kB limit on a
 * request head (http-server.ts), or the worker's refusal would count against it.
 */
export const MAX_DIGITS_LIMIT = 15_000;

/**
 * Parses the `:n` of `/is_prime/:n` exactly as the contract says: ASCII decimal digits only,
 * leading zeros dropped, at most `maxDigits` significant digits. `raw` is the path segment as
 * it came on the wire (still percent-encoded), so that `%31` and `1` mean the same and a
 * malformed escape is the client's error, not ours.
 */
export function parseNumber(raw: string, maxDigits: number): ParsedNumber {
  const text = parseNumberText(raw, maxDigits);
  return { value: BigInt(text), text };
}

/** parseNumber's canonical decimal form alone, for a caller that needs no arithmetic on it. */
export function parseNumberText(raw: string, maxDigits: number): string {
  let decoded = raw;
  if (raw.includes('%')) {
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      throw invalid(raw);
    }
  }
  if (!DIGITS.test(decoded)) throw invalid(decoded);
  const text = decoded.charCodeAt(0) === 48 /* 0 */ ? decoded.replace(/^0+(?=\d)/, '') : decoded;
  if (text.length > maxDigits) {
    throw new HttpError(
      400,
      'number_too_large',
      `the number has ${text.length} digits; at most ${maxDigits} are accepted`,
    );
  }
  return text;
}

/** Whether a canonical decimal form (no leading zeros) stands for at least 2^64. */
export function isAtLeast2To64(text: string): boolean {
  return text.length > TWO_TO_64.length || (text.length === TWO_TO_64.length && text >= TWO_TO_64);
}

const TWO_TO_64 = String(2n ** 64n);

function invalid(shown: string): HttpError {
  const preview = shown.length > 40 ? `${shown.slice(0, 40)}…` : shown;
  return new HttpError(
    400,
    'invalid_number',
    `expected a non-negative integer in decimal digits, got ${JSON.stringify(preview)}`,
  );
}

/**
 * Splits the part of a URL after `/is_prime` into the raw number segment. Returns undefined
 * when the path has more segments than one (`/is_prime/1/2`), which is an unknown path.
 * `''` (from `/is_prime` or `/is_prime/`) is an empty number, which parseNumber rejects.
 */
export function numberSegment(rest: string): string | undefined {
  const query = rest.indexOf('?');
  const path = query === -1 ? rest : rest.slice(0, query);
  const segment = path.startsWith('/') ? path.slice(1) : path;
  return segment.includes('/') ? undefined : segment;
}
