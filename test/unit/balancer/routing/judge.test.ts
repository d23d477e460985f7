import { describe, expect, it } from 'vitest';
import { errorForFailures, judgeResponse } from '../../../../src/balancer/routing/judge.js';

const reply = (status: number, contentType: string | undefined) => ({ ok: true as const, status, contentType, retryAfter: undefined, body: Buffer.alloc(0) });

describe('judging a worker reply', () => {
  it.each([
    [200, 'application/json; charset=utf-8', undefined],
    [400, 'application/json; charset=utf-8', undefined],
    [404, 'text/html', 'bad_response'],
    [404, 'application/json', undefined],
    [200, 'text/html', 'bad_response'],
    [200, undefined, 'bad_response'],
    [302, 'application/json', 'bad_response'],
    [500, 'application/json', 'server_error'],
    [503, 'application/json', 'server_error'],
  ])('when a worker answers %i with %s, then the failure is %s', (status, type, kind) => {
    expect(judgeResponse(reply(status, type))?.kind).toBe(kind);
  });

  it('when every try timed out, then the client gets 504 upstream_timeout', () => {
    const error = errorForFailures([{ kind: 'timeout', message: '' }, { kind: 'timeout', message: '' }]);
    expect([error.status, error.code]).toEqual([504, 'upstream_timeout']);
  });

  it('when any try failed otherwise, then the client gets 502 upstream_failed', () => {
    const error = errorForFailures([{ kind: 'timeout', message: '' }, { kind: 'connection', message: '' }]);
    expect([error.status, error.code]).toEqual([502, 'upstream_failed']);
  });
});
