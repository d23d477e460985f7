import { describe, expect, it } from 'vitest';
import { ResponseParser, type ParseStep } from '../../../src/balancer/http1-response.js';

const LIMITS = { maxHeadBytes: 1024, maxBodyBytes: 64 };

function parse(...chunks: Array<string | Buffer>): ParseStep {
  const parser = new ResponseParser(LIMITS);
  let step: ParseStep = { state: 'more' };
  for (const chunk of chunks) {
    step = parser.push(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
    if (step.state !== 'more') return step;
  }
  return step;
}

function body(step: ParseStep): string {
  if (step.state !== 'done') throw new Error(`not done: ${JSON.stringify(step)}`);
  return step.response.body.toString();
}

const OK = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n{"prime":true}';

describe('reading a worker answer', () => {
  it('when an answer arrives split at any byte, then it reads the same status, headers and body', () => {
    for (let cut = 1; cut < OK.length; cut++) {
      const step = parse(OK.slice(0, cut), OK.slice(cut));
      expect(step).toMatchObject({ state: 'done', extra: 0, response: { status: 200, contentType: 'application/json', keepAlive: true } });
      expect(body(step)).toBe('{"prime":true}');
    }
  });

  it('when the answer is chunked, with extensions and trailers, then the body is the chunks joined', () => {
    const text = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\n{"pri\r\n9\r\nme":true}\r\n0\r\nX-Trailer: 1\r\n\r\n';
    for (let cut = 1; cut < text.length; cut++) expect(body(parse(text.slice(0, cut), text.slice(cut)))).toBe('{"prime":true}');
  });

  it('when the worker says Connection: close or speaks HTTP/1.0, then the connection is not kept', () => {
    expect(parse('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')).toMatchObject({ response: { keepAlive: false } });
    expect(parse('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n')).toMatchObject({ response: { keepAlive: false } });
    expect(parse('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n')).toMatchObject({ response: { keepAlive: true } });
  });

  it('when the body runs until the connection closes, then it is complete at the close and the connection not kept', () => {
    const parser = new ResponseParser(LIMITS);
    expect(parser.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"a":'))).toEqual({ state: 'more' });
    expect(parser.push(Buffer.from('1}'))).toEqual({ state: 'more' });
    const step = parser.end();
    expect(step).toMatchObject({ state: 'done', response: { keepAlive: false } });
    expect(body(step)).toBe('{"a":1}');
  });

  it('when the connection closes mid-answer, then it is an error, and whether any byte came is known', () => {
    const parser = new ResponseParser(LIMITS);
    expect(parser.started).toBe(false);
    parser.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{"a"'));
    expect(parser.started).toBe(true);
    expect(parser.end()).toMatchObject({ state: 'error', message: 'connection closed before the answer was complete' });
  });

  it('when bytes follow the answer, then they are counted, so that the connection is not reused', () => {
    expect(parse(`${OK}HTTP/1.1 200 OK\r\n`)).toMatchObject({ state: 'done', extra: 17 });
  });

  it('when an informational answer comes first, then it is skipped; 204 and 304 have no body', () => {
    expect(body(parse(`HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n${OK}`))).toBe('{"prime":true}');
    expect(parse('HTTP/1.1 204 No Content\r\n\r\n')).toMatchObject({ state: 'done', extra: 0, response: { status: 204 } });
    expect(parse('HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n')).toMatchObject({ state: 'done', extra: 0 });
  });

  it.each([
    ['both Content-Length and Transfer-Encoding', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n', 'both content-length and transfer-encoding'],
    ['two different lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n', 'conflicting content-length'],
    ['a signed length', 'HTTP/1.1 200 OK\r\nContent-Length: +3\r\n\r\n', 'invalid content-length'],
    ['a folded header', 'HTTP/1.1 200 OK\r\nContent-Type: a\r\n b\r\nContent-Length: 0\r\n\r\n', 'invalid header line'],
    ['a bare LF in a header', 'HTTP/1.1 200 OK\r\nX-A: 1\nContent-Length: 0\r\n\r\n', 'invalid header line'],
    ['a space before the colon', 'HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n', 'invalid header line'],
    ['a status line that is not HTTP/1.x', 'HTTP/2 200 OK\r\n\r\n', 'invalid status line'],
    ['garbage', 'hello there\r\n\r\n', 'invalid status line'],
    ['a coding other than chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n', 'unsupported transfer-encoding gzip'],
    ['chunked not last', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n', 'unsupported transfer-encoding'],
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 'invalid chunk size'],
    ['a chunk longer than it said', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n', 'chunk not followed by CRLF'],
    ['a protocol switch', 'HTTP/1.1 101 Switching Protocols\r\n\r\n', 'switching protocols'],
  ])('when the answer has %s, then it is an error, never a guess', (_what, text, message) => {
    const step = parse(text);
    expect(step.state).toBe('error');
    expect(step.state === 'error' && step.message).toContain(message);
  });

  it('when the body or the headers are over the limits, then it stops reading with an error', () => {
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 65\r\n\r\n')).toEqual({ state: 'error', message: 'answer over 64 bytes' });
    expect(parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n', 'x'.repeat(64), '\r\n1\r\n')).toEqual({ state: 'error', message: 'answer over 64 bytes' });
    expect(parse('HTTP/1.1 200 OK\r\n\r\n', 'x'.repeat(65))).toEqual({ state: 'error', message: 'answer over 64 bytes' });
    expect(parse(`HTTP/1.1 200 OK\r\nX-Big: ${'x'.repeat(1024)}`)).toMatchObject({ state: 'error', message: 'not HTTP (headers over 1024 bytes)' });
  });

  it('when header lines come in every odd form, then exactly those of the grammar are taken, with their values trimmed', () => {
    // The grammar as the regular expressions it was first written with: the reference.
    const line = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*$/;
    // eslint-disable-next-line no-control-regex -- control characters are what it finds
    const control = /[\x00-\x08\x0a-\x1f\x7f]/;
    const pieces = ['Content-Type', 'content-length', 'X-A', 'a', ':', ' ', '\t', '\r', '\n', '\x00', '\x7f', '\xe9', '"', '(', 'v', '1', ';', ''];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 3000; i++) {
      const header = Array.from({ length: 1 + (next() % 6) }, () => pieces[next() % pieces.length]).join('');
      if (header === '' || header.includes('\r\n')) continue; // the head's end, or two lines: other cases
      const match = line.exec(header);
      const valid = match !== null && !control.test(header);
      const step = parse(`HTTP/1.1 200 OK\r\n${header}\r\nContent-Length: 0\r\n\r\n`);
      const isContentType = valid && match[1]!.toLowerCase() === 'content-type';
      const isLength = valid && match[1]!.toLowerCase() === 'content-length';
      if (!valid) expect(step, JSON.stringify(header)).toMatchObject({ state: 'error', message: 'not HTTP (invalid header line)' });
      else if (isContentType) expect(step, JSON.stringify(header)).toMatchObject({ state: 'done', response: { contentType: match[2] } });
      else if (!isLength) expect(step.state, JSON.stringify(header)).toBe('done');
    }
  });
});

