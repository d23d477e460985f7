import { describe, expect, it } from 'vitest';
import { HttpError } from '../../../src/shared/http-error.js';
import { isAtLeast2To64, numberSegment, parseNumber } from '../../../src/shared/number.js';

function errorCode(raw: string, maxDigits = 2000): string | undefined {
  try {
    parseNumber(raw, maxDigits);
    return undefined;
  } catch (err) {
    return err instanceof HttpError ? err.code : 'not an HttpError';
  }
}

describe('parseNumber', () => {
  it.each([
    ['0', '0'],
    ['7', '7'],
    ['007', '7'],
    ['000', '0'],
    ['524287', '524287'],
    ['%35%32%34%32%38%37', '524287'],
    ['170141183460469231731687303715884105727', '170141183460469231731687303715884105727'],
  ])('when given %j, then it reads %s exactly', (raw, text) => {
    const parsed = parseNumber(raw, 2000);
    expect(parsed.text).toBe(text);
    expect(parsed.value).toBe(BigInt(text));
  });

  it.each(['', '-1', '+1', ' 1', '1 ', '%201', '1e3', '0x1f', '1.0', '١٢٣', '１２', 'abc', '%zz', '1%2F2', '½'])(
    'when given %j, then it answers invalid_number',
    (raw) => {
      expect(errorCode(raw)).toBe('invalid_number');
    },
  );

  it('when the number has more digits than allowed, then it answers number_too_large', () => {
    expect(errorCode('9'.repeat(11), 10)).toBe('number_too_large');
    expect(errorCode('9'.repeat(10), 10)).toBeUndefined();
  });

  it('when leading zeros push it over the limit, then they do not count', () => {
    expect(errorCode(`${'0'.repeat(50)}12345`, 10)).toBeUndefined();
  });

  it('when rejecting a huge bad input, then the message shows only a short preview', () => {
    expect(() => parseNumber('x'.repeat(10_000), 2000)).toThrowError(expect.objectContaining({ code: 'invalid_number', message: expect.stringMatching(/^.{1,119}$/) }));
  });
});

describe('isAtLeast2To64', () => {
  it('when a number is around 2^64 or far from it, then it says the same as comparing the values', () => {
    const around = [0n, 1n, 10n ** 19n - 1n, 10n ** 19n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 64n, 2n ** 64n + 1n, 10n ** 20n - 1n, 10n ** 20n, 2n ** 1279n - 1n];
    for (let d = -300n; d <= 300n; d += 7n) around.push(2n ** 64n + d);
    for (const value of around) expect(isAtLeast2To64(value.toString()), value.toString()).toBe(value >= 2n ** 64n);
  });
});

describe('numberSegment', () => {
  it.each([
    ['/524287', '524287'],
    ['/524287?verbose=1', '524287'],
    ['/', ''],
    ['', ''],
    ['/1/2', undefined],
  ])('when the rest of the path is %j, then the segment is %j', (rest, segment) => {
    expect(numberSegment(rest)).toBe(segment);
  });
});
