import { isPrimePath } from './proxy.js';

/**
 * A request the fast lane answers itself: `GET` or `HEAD` of an `/is_prime` URL over HTTP/1.1,
 * with no body and nothing in its headers that changes how it is read or answered.
 */
export interface SimpleRequest {
  method: 'GET' | 'HEAD';
  /** The request target, exactly as Node would give it as `req.url`. */
  url: string;
  /** The client's `X-Request-Id`, if it sent one. */
  requestId: string | undefined;
  /** False when the client sent `Connection: close`. */
  keepAlive: boolean;
  /** Where the request ends (and the next one may begin) in the text it was read from. */
  end: number;
}

/** The head is not all there yet. */
export const INCOMPLETE = 'incomplete';
/** Not a simple request: Node's HTTP server reads it (and answers or rejects it as always). */
export const OTHER = 'other';

/** Well under Node's 16 KB (http-server.ts), so that Node, not us, answers oversized heads. */
export const MAX_SIMPLE_HEAD = 8 * 1024;
const MAX_HEADERS = 64;

// Only characters that Node's parser (llhttp) takes in a request target, and that need no
// decoding to be compared: unreserved, sub-delims, ':', '@', '/', '?' and '%'.
const REQUEST_LINE = /(GET|HEAD) (\/[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*) HTTP\/1\.1\r\n/y;
// A field name is a token; the value is visible ASCII, spaces and tabs. No obs-fold, no bare
// CR or LF, no control characters, no bytes above 0x7E: such lines go to Node.
const HEADER_LINE = /([!#$%&'*+.^_`|~0-9A-Za-z-]+):([\t\x20-\x7e]*)\r\n/y;

/**
 * Reads one request from `text` (bytes as latin1) at `from`. It never rejects a request, it
 * only declines one (OTHER) — a body or its framing (`Content-Length`, `Transfer-Encoding`),
 * `Expect`, `Upgrade`, another HTTP version, a missing or repeated `Host`, an unusual
 * `Connection`, a repeated `X-Request-Id`, any character outside the plain sets above — so
 * that everything this reads is read exactly as Node would read it, and everything else is
 * read, answered or refused by Node exactly as before. That keeps request smuggling and
 * parser differences out by construction: this reader's language is a strict subset of Node's.
 */
export function readSimpleRequest(text: string, from: number): SimpleRequest | typeof INCOMPLETE | typeof OTHER {
  const headEnd = text.indexOf('\r\n\r\n', from);
  if (headEnd === -1) return text.length - from > MAX_SIMPLE_HEAD ? OTHER : INCOMPLETE;
  if (headEnd + 4 - from > MAX_SIMPLE_HEAD) return OTHER;

  REQUEST_LINE.lastIndex = from;
  const line = REQUEST_LINE.exec(text);
  if (line === null) return OTHER;
  const url = line[2]!;
  if (!isPrimePath(url)) return OTHER;

  let position = REQUEST_LINE.lastIndex;
  let hosts = 0;
  let requestId: string | undefined;
  let keepAlive = true;
  let connectionSeen = false;
  let count = 0;
  // The head ends with an empty line: position reaches headEnd + 2 exactly when every line
  // before it was a well-formed header line.
  while (position < headEnd + 2) {
    if (++count > MAX_HEADERS) return OTHER;
    HEADER_LINE.lastIndex = position;
    const header = HEADER_LINE.exec(text);
    if (header === null) return OTHER;
    position = HEADER_LINE.lastIndex;
    const name = header[1]!.toLowerCase();
    switch (name) {
      case 'host':
        hosts += 1;
        break;
      case 'x-request-id':
        if (requestId !== undefined) return OTHER;
        requestId = header[2]!.trim();
        break;
      case 'connection': {
        if (connectionSeen) return OTHER;
        connectionSeen = true;
        const value = header[2]!.trim().toLowerCase();
        if (value === 'close') keepAlive = false;
        else if (value !== 'keep-alive') return OTHER;
        break;
      }
      case 'content-length':
      case 'transfer-encoding':
      case 'expect':
      case 'upgrade':
        return OTHER;
    }
  }
  if (position !== headEnd + 2 || hosts !== 1) return OTHER;
  return { method: line[1] as 'GET' | 'HEAD', url, requestId, keepAlive, end: headEnd + 4 };
}
