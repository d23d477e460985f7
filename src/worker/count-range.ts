import { HttpError } from '../shared/http-error.js';
import { parseNumberText } from '../shared/number.js';
import { MAX_SIEVE_NUMBER } from './sieve/prime-counter.js';

/**
 * The range of one `GET /count_primes/:from/:to` task, and its limits:
 * - `from` and `to` are decimal digits only, as every number in the API (leading zeros dropped);
 * - 0 ≤ from ≤ to ≤ 2^53 − 1 (9007199254740991): the sieve does its arithmetic in doubles,
 *   exact up to there, and the base primes up to √(2^53 − 1) ≈ 9.5·10^7 (5.4 million of them,
 *   22 MB) are made once per sieving thread in about a second;
 * - the span, to − from + 1, is at most `maxSpan` (the worker's MAX_TASK_SPAN), so that one
 *   task cannot hold a sieving thread for long.
 * Anything else is `400 invalid_range` with a message saying which rule it broke.
 */
export const MAX_TO = MAX_SIEVE_NUMBER;

/** The digits of MAX_TO: a longer number is out of range without reading it. */
const MAX_TO_DIGITS = String(MAX_TO).length;

export interface CountRange {
  from: number;
  to: number;
}

/**
 * The two raw segments after `/count_primes` (still percent-encoded), or undefined when the
 * path does not have exactly two (an unknown path, as `/is_prime/1/2` is).
 */
export function rangeSegments(rest: string): { from: string; to: string } | undefined {
  const query = rest.indexOf('?');
  const path = query === -1 ? rest : rest.slice(0, query);
  const parts = path.split('/');
  if (parts.length !== 3 || parts[0] !== '') return undefined;
  return { from: parts[1]!, to: parts[2]! };
}

/** Checks a task's range against the limits above; throws `400 invalid_range`. */
export function parseRange(rawFrom: string, rawTo: string, maxSpan: number): CountRange {
  const from = parseEnd('from', rawFrom);
  const to = parseEnd('to', rawTo);
  if (from > to) throw invalidRange(`from must not be greater than to (${from} > ${to})`);
  const span = to - from + 1;
  if (span > maxSpan) {
    throw invalidRange(`the range holds ${span} numbers; a task may hold at most ${maxSpan} (MAX_TASK_SPAN): split it`);
  }
  return { from, to };
}

function parseEnd(name: 'from' | 'to', raw: string): number {
  let text: string;
  try {
    // No digit limit here: a long number is out of range, said below in this route's words.
    text = parseNumberText(raw, Number.POSITIVE_INFINITY);
  } catch (err) {
    throw err instanceof HttpError ? invalidRange(`${name}: ${err.message}`) : err;
  }
  if (text.length > MAX_TO_DIGITS || BigInt(text) > BigInt(MAX_TO)) {
    throw invalidRange(`${name} is above the largest number supported, ${MAX_TO} (2^53 - 1)`);
  }
  return Number(text);
}

function invalidRange(message: string): HttpError {
  return new HttpError(400, 'invalid_range', message);
}
