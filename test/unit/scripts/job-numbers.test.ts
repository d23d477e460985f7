import { describe, expect, it } from 'vitest';
import { parseWhole } from '../../../scripts/job/numbers.js';

describe('numbers on the job command line', () => {
  it.each([
    ['0', '0'],
    ['1000000', '1000000'],
    ['1_000_000', '1000000'],
    ['1e11', '100000000000'],
    ['2.5e9', '2500000000'],
    ['10^12', '1000000000000'],
    ['1E15', '1000000000000000'],
  ])('when given %s, then it is exactly %s', (text, exact) => {
    expect(parseWhole(text)).toBe(exact);
  });

  it.each(['-1', '1.5', '1e-3', '0x10', 'ten', ''])('when given %j, then it is not a whole number', (text) => {
    expect(parseWhole(text)).toBeUndefined();
  });
});
