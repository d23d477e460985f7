import { describe, expect, it } from 'vitest';
import { MAX_TO, parseRange, rangeSegments } from '../../../src/worker/count-range.js';
import { HttpError } from '../../../src/shared/http-error.js';

const SPAN = 10_000_000_000;

function rejection(from: string, to: string, maxSpan = SPAN): { code: string; message: string } {
  try {
    parseRange(from, to, maxSpan);
  } catch (err) {
    if (err instanceof HttpError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('accepted');
}

describe('count range', () => {
  it.each([
    ['0', '0', 0, 0],
    ['007', '0100', 7, 100],
    ['%31%30', '20', 10, 20],
    ['1000000000000', '1000010000000', 1e12, 1e12 + 1e7],
    [String(MAX_TO - 1000), String(MAX_TO), MAX_TO - 1000, MAX_TO],
  ])('when the range is %s..%s, then it is read as [%i, %i]', (from, to, a, b) => {
    expect(parseRange(from, to, SPAN)).toEqual({ from: a, to: b });
  });

  it.each([
    ['abc', '5', /from: expected a non-negative integer/],
    ['5', '-7', /to: expected a non-negative integer/],
    ['1e3', '5000', /from: /],
    ['', '5', /from: /],
    ['%zz', '5', /from: /],
    ['0x10', '20', /from: /],
    ['5', '3', /from must not be greater than to \(5 > 3\)/],
    ['0', String(MAX_TO + 1), /to is above the largest number supported, 9007199254740991/],
    ['0', '9'.repeat(40), /to is above the largest number supported/],
    ['0', String(SPAN), /at most 10000000000 \(MAX_TASK_SPAN\)/],
  ])('when the range is %j..%j, then it is 400 invalid_range saying why', (from, to, message) => {
    const { code, message: said } = rejection(from, to);
    expect(code).toBe('invalid_range');
    expect(said).toMatch(message);
  });

  it('when the span is exactly MAX_TASK_SPAN, then it is accepted; one more is not', () => {
    expect(parseRange('1', '10', 10)).toEqual({ from: 1, to: 10 });
    expect(rejection('0', '10', 10).code).toBe('invalid_range');
  });

  it('when the path has other than two segments, then it is not this route', () => {
    expect(rangeSegments('/1/2')).toEqual({ from: '1', to: '2' });
    expect(rangeSegments('/1/2?x=1')).toEqual({ from: '1', to: '2' });
    expect(rangeSegments('//2')).toEqual({ from: '', to: '2' });
    expect(rangeSegments('/1')).toBeUndefined();
    expect(rangeSegments('/1/2/3')).toBeUndefined();
    expect(rangeSegments('/')).toBeUndefined();
  });
});
