import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KERNELS_SOURCES, KERNELS_SOURCES_SHA256 } from '../../../../src/worker/sieve/kernels/kernels.js';

describe('sieve kernels', () => {
  it('when a .wat source changes, then kernels.ts must be assembled again from it (npm run build:kernels)', () => {
    const sources = KERNELS_SOURCES.map((file) => readFileSync(new URL(`../../../../src/worker/sieve/kernels/${file}`, import.meta.url), 'utf8'));
    expect(createHash('sha256').update(sources.join('')).digest('hex')).toBe(KERNELS_SOURCES_SHA256);
  });
});
