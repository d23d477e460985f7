import { HttpError } from '../../shared/http-error.js';

export interface JobRequest {
  kind: 'count_primes';
  from: bigint;
  to: bigint;
}

/** The largest `to` a job may have: what a worker's task accepts (src/worker/count-range.ts), 2^53 − 1. */
export const MAX_JOB_TO = 2n ** 53n - 1n;

const DIGITS = /^[0-9]+$/;

/**
 * Validates a `POST /jobs` body: `{"kind":"count_primes","from":"0","to":"10000000000"}`.
 * `from` and `to` are decimal strings (JSON numbers up to 10^15 are taken too when they are
 * exact whole numbers), with `0 ≤ from ≤ to ≤ 2^53 − 1`. Anything else is a 400 that says what is
 * wrong.
 */
export function parseJobRequest(body: unknown): JobRequest {
  // No body, or one the JSON parser left alone: not sent as application/json.
  if (body === undefined) throw invalid('send the body as JSON, with Content-Type: application/json: {"kind":"count_primes","from":"0","to":"1000000000"}');
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid('the body must be a JSON object like {"kind":"count_primes","from":"0","to":"1000000000"}');
  }
  const { kind, from, to, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw invalid(`unknown field ${JSON.stringify(unknown[0])}; expected kind, from and to`);
  if (kind !== 'count_primes') throw invalid(`"kind" must be "count_primes", got ${JSON.stringify(kind ?? null)}`);
  const start = whole('from', from);
  const end = whole('to', to);
  if (start > end) throw invalid(`"from" (${start}) is greater than "to" (${end})`);
  if (end > MAX_JOB_TO) throw invalid(`"to" is at most ${MAX_JOB_TO}, got ${end}`);
  return { kind, from: start, to: end };
}

/**
 * The largest bound taken as a JSON number. Parsed JSON numbers are doubles: near 2^52 and up a
 * fraction is rounded away before it can be seen (5000000000000000.4 arrives as a whole
 * number), and below 10^15 a fraction of the usual few digits survives to be refused.
 */
const MAX_JSON_NUMBER = 1e15;

function whole(name: string, value: unknown): bigint {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value > MAX_JSON_NUMBER) throw invalid(`"${name}" above 10^15 must be a decimal string, like "${BigInt(value)}"`);
    if (Number.isSafeInteger(value) && value >= 0) return BigInt(value);
    throw invalid(`"${name}" must be a whole number of 0 or more written in decimal digits, got ${value}`);
  }
  if (typeof value !== 'string' || !DIGITS.test(value)) {
    throw invalid(`"${name}" must be a whole number of 0 or more written in decimal digits, like "1000000", got ${JSON.stringify(value ?? null)?.slice(0, 40)}`);
  }
  // Leading zeros are taken, as the worker takes them; the body's 2 kB bounds the digits.
  const digits = value.replace(/^0+(?=.)/, '');
  if (digits.length > String(MAX_JOB_TO).length) throw invalid(`"${name}" is at most ${MAX_JOB_TO}, got a number of ${digits.length} digits`);
  return BigInt(digits);
}

function invalid(message: string): HttpError {
  return new HttpError(400, 'invalid_job', message);
}

/** 503 too_many_jobs when the jobs running or waiting fill every place (MAX_RUNNING_JOBS + MAX_QUEUED_JOBS). */
export function refuseWhenFull(jobs: number, places: number): void {
  if (jobs >= places) throw new HttpError(503, 'too_many_jobs', `${jobs} jobs are running or waiting, the most there may be; try again later`, { 'Retry-After': '30' });
}

export function unknownJob(id: string): HttpError {
  return new HttpError(404, 'unknown_job', `no job ${JSON.stringify(id.slice(0, 64))} is known`);
}

/** A job change asked for while the balancer shuts down: its journal is closed, nothing could be recorded. */
export function shuttingDown(): HttpError {
  return new HttpError(503, 'shutting_down', 'the balancer is shutting down', { 'Retry-After': '5' });
}
