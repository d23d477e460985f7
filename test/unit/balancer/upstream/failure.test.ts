import { describe, expect, it } from 'vitest';
import { classifyError } from '../../../../src/balancer/upstream/failure.js';

const withCode = (code: string) => Object.assign(new Error(code), { code });

describe('upstream failures', () => {
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
    ['UND_ERR_RES_EXCEEDED_MAX_SIZE', 'bad_response'],
    ['UND_ERR_SOCKET', 'connection'],
    ['EHOSTUNREACH', 'connection'],
  ])('when the client fails with %s, then it is a %s failure', (code, kind) => {
    expect(classifyError(withCode(code), 1_000).kind).toBe(kind);
  });

  it('when undici wraps the socket error, then the cause still decides', () => {
    const err = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET', cause: { code: 'ECONNRESET' } });
    expect(classifyError(err, 1_000).kind).toBe('refused');
  });

  it('when a try times out, then the reason names the time it was given', () => {
    expect(classifyError(withCode('UND_ERR_HEADERS_TIMEOUT'), 200).message).toBe('no answer within 200 ms');
  });
});
