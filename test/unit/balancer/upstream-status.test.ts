import { describe, expect, it } from 'vitest';
import { classifyError, classifyStatus, errorForFailures } from '../../../src/balancer/upstream-status.js';

const withCode = (code: string) => Object.assign(new Error(code), { code });

describe('upstream status mapping', () => {
  it.each([
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
    ['UND_ERR_BODY_TIMEOUT', 'timeout'],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout'],
    ['ETIMEDOUT', 'timeout'],
    ['ECONNREFUSED', 'connection'],
    ['ECONNRESET', 'connection'],
    ['UND_ERR_SOCKET', 'connection'],
    ['EHOSTUNREACH', 'connection'],
  ])('when the client fails with %s, then it is a %s failure', (code, kind) => {
    expect(classifyError(withCode(code)).kind).toBe(kind);
  });

  it.each([
    [200, undefined],
    [400, undefined],
    [404, undefined],
    [500, 'server_error'],
    [503, 'server_error'],
  ])('when a worker answers %i, then the failure is %s', (status, kind) => {
    expect(classifyStatus(status)?.kind).toBe(kind);
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
