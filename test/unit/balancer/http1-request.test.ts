import { describe, expect, it } from 'vitest';
import { INCOMPLETE, MAX_SIMPLE_HEAD, OTHER, readSimpleRequest } from '../../../src/balancer/http1-request.js';

const CRLF = '\r\n';
const request = (...lines: string[]) => lines.join(CRLF) + CRLF + CRLF;

describe('readSimpleRequest', () => {
  it('when a GET of /is_prime comes with a Host, then it is read with its target and where it ends', () => {
    const text = request('GET /is_prime/524287 HTTP/1.1', 'Host: 127.0.0.1:9000', 'User-Agent: curl/8', 'Accept: */*');
    expect(readSimpleRequest(text, 0)).toEqual({ method: 'GET', url: '/is_prime/524287', requestId: undefined, keepAlive: true, end: text.length });
  });

  it('when requests are pipelined, then each is read from where the one before ended', () => {
    const first = request('GET /is_prime/7 HTTP/1.1', 'Host: x');
    const second = request('HEAD /is_prime/8?x=1 HTTP/1.1', 'host: x', 'Connection: close');
    const text = first + second;
    expect(readSimpleRequest(text, 0)).toMatchObject({ method: 'GET', url: '/is_prime/7', end: first.length });
    expect(readSimpleRequest(text, first.length)).toMatchObject({ method: 'HEAD', url: '/is_prime/8?x=1', keepAlive: false, end: text.length });
  });

  it('when the client sends a request id or Connection: keep-alive, then the id is read, trimmed, and the connection kept', () => {
    const text = request('GET /is_prime/7 HTTP/1.1', 'Host: x', 'X-Request-Id:   abc-123  ', 'Connection: Keep-Alive');
    expect(readSimpleRequest(text, 0)).toMatchObject({ requestId: 'abc-123', keepAlive: true });
  });

  it('when the head has not all arrived, then it is incomplete, until it is longer than any simple request', () => {
    expect(readSimpleRequest('GET /is_prime/7 HTTP/1.1\r\nHost: x\r\n', 0)).toBe(INCOMPLETE);
    expect(readSimpleRequest(`GET /is_prime/7 HTTP/1.1\r\nX-Pad: ${'a'.repeat(MAX_SIMPLE_HEAD)}`, 0)).toBe(OTHER);
  });

  // Each of these is Node's to read: answered as before (or refused by Node's parser).
  it.each([
    ['another route', request('GET /servers HTTP/1.1', 'Host: x')],
    ['a path that only starts like the route', request('GET /is_primes/7 HTTP/1.1', 'Host: x')],
    ['another method', request('POST /is_prime/7 HTTP/1.1', 'Host: x')],
    ['a lower-case method', request('get /is_prime/7 HTTP/1.1', 'Host: x')],
    ['HTTP/1.0', request('GET /is_prime/7 HTTP/1.0', 'Host: x')],
    ['no Host', request('GET /is_prime/7 HTTP/1.1', 'Accept: */*')],
    ['two Hosts', request('GET /is_prime/7 HTTP/1.1', 'Host: x', 'Host: y')],
    ['a Content-Length', request('GET /is_prime/7 HTTP/1.1', 'Host: x', 'Content-Length: 0')],
    ['a Transfer-Encoding', request('GET /is_prime/7 HTTP/1.1', 'Host: x', 'Transfer-Encoding: chunked')],
    ['Expect', request('GET /is_prime/7 HTTP/1.1', 'Host: x', 'Expect: 100-continue')],
    ['Upgrade', request('GET /is_prime/7 HTTP/1.1', 'Host: x', 'Connection: Upgrade', 'Upgrade: websocket')],
    ['an unusual Connection', request('GET /is_prime/7 HTTP/1.1', 'Host: x', 'Connection: keep-alive, TE')],
    ['two Connection headers', request('GET /is_prime/7 HTTP/1.1', 'Host: x', 'Connection: close', 'Connection: close')],
    ['two request ids', request('GET /is_prime/7 HTTP/1.1', 'Host: x', 'X-Request-Id: a', 'X-Request-Id: b')],
    ['a folded header line', request('GET /is_prime/7 HTTP/1.1', 'Host: x', 'X-A: 1', ' continued')],
    ['a bare LF inside the head', 'GET /is_prime/7 HTTP/1.1\r\nHost: x\nX-A: 1\r\n\r\n'],
    ['a space before the colon', request('GET /is_prime/7 HTTP/1.1', 'Host : x')],
    ['a control character in a value', request('GET /is_prime/7 HTTP/1.1', 'Host: x', 'X-A: a\u0001b')],
    ['a byte above 0x7E in a value', request('GET /is_prime/7 HTTP/1.1', 'Host: x', 'X-A: caf\u00e9')],
    ['a fragment in the target', request('GET /is_prime/7#x HTTP/1.1', 'Host: x')],
    ['a quote in the target', request('GET /is_prime/"7" HTTP/1.1', 'Host: x')],
    ['two spaces after the method', request('GET  /is_prime/7 HTTP/1.1', 'Host: x')],
    ['too many header lines', request('GET /is_prime/7 HTTP/1.1', 'Host: x', ...Array.from({ length: 80 }, (_, i) => `X-${i}: 1`))],
  ])('when a request has %s, then it is not a simple one', (_what, text) => {
    expect(readSimpleRequest(text, 0)).toBe(OTHER);
  });
});
