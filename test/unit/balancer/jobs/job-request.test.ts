import { describe, expect, it } from 'vitest';
import { MAX_JOB_TO, parseJobRequest } from '../../../../src/balancer/jobs/job-request.js';
import { HttpError } from '../../../../src/shared/http-error.js';

describe('a job request', () => {
  it('when from and to are decimal strings or exact whole numbers, then they are read exactly', () => {
    expect(parseJobRequest({ kind: 'count_primes', from: '0', to: '10000000000' })).toEqual({ kind: 'count_primes', from: 0n, to: 10_000_000_000n });
    expect(parseJobRequest({ kind: 'count_primes', from: 7, to: 1e9 })).toEqual({ kind: 'count_primes', from: 7n, to: 1_000_000_000n });
  });

  it.each([
    ['not an object', 'count'],
    ['no kind', { from: '0', to: '9' }],
    ['another kind', { kind: 'sum', from: '0', to: '9' }],
    ['a negative number', { kind: 'count_primes', from: '-1', to: '9' }],
    ['a fraction', { kind: 'count_primes', from: 1.5, to: '9' }],
    // 5000000000000000.4 as JSON: its fraction is gone once parsed.
    ['a JSON number too large to tell from a fraction', { kind: 'count_primes', from: 5000000000000000, to: '9007199254740991' }],
    ['scientific notation in a string', { kind: 'count_primes', from: '0', to: '1e9' }],
    ['from above to', { kind: 'count_primes', from: '10', to: '9' }],
    ['to beyond the limit', { kind: 'count_primes', from: '0', to: String(MAX_JOB_TO + 1n) }],
    ['an unknown field', { kind: 'count_primes', from: '0', to: '9', priority: 'high' }],
  ])('when the body has %s, then it is a 400 invalid_job that says what is wrong', (_, body) => {
    let error: unknown;
    try {
      parseJobRequest(body);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 400, code: 'invalid_job' });
    expect((error as HttpError).message.length).toBeGreaterThan(10);
  });

  it('when a bound has leading zeros or far too many digits, then zeros are read as the worker reads them, and too many digits is the range error', () => {
    expect(parseJobRequest({ kind: 'count_primes', from: '0010', to: `${'0'.repeat(1_500)}5000` })).toMatchObject({ from: 10n, to: 5000n });
    expect(() => parseJobRequest({ kind: 'count_primes', from: '0', to: '9'.repeat(1_000) })).toThrow(/"to" is at most 9007199254740991, got a number of 1000 digits/);
  });
});
