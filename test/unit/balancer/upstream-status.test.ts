import { describe, expect, it } from 'vitest';
import { classifyError, classifyStatus, errorForFailures } from '../../../src/balancer/upstream-status.js';

const withCode = (code: string) => Object.assign(new Error(code), { code });

describe('upstream status mapping', () => {
  it.each([
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
    ['UND_ERR_BODY_TIMEOUT', 'timeout'],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout'],
    ['ETIMEDOUT', 'timeout'],
    ['ECONNREFUSED', 'refused'],
    ['ECONNRESET', 'refused'],
    ['EPIPE', 'refused'],
    ['UND_ERR_ABORTED', 'aborted'],
    ['HPE_INVALID_CONSTANT', 'bad_response'],
    ['UND_ERR_SOCKET', 'connection'],
    ['EHOSTUNREACH', 'connection'],
  ])('when the client fails with %s, then it is a %s failure', (code, kind) => {
    expect(classifyError(withCode(code)).kind).toBe(kind);
  });

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
    expect(classifyStatus(status, type)?.kind).toBe(kind);
  });

  it('when undici wraps the socket error, then the cause still decides', () => {
    const err = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET', cause: { code: 'ECONNRESET' } });
    expect(classifyError(err).kind).toBe('refused');
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
