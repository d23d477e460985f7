/**
 * Reads one HTTP/1.1 response from a worker, byte by byte as it arrives, for the balancer's
 * own upstream client (forward.ts). Strict on purpose: a worker is ours and answers in plain
 * HTTP/1.1, so anything ambiguous (both Content-Length and Transfer-Encoding, conflicting
 * lengths, folded or malformed header lines, bare CR or LF) is an error rather than a guess.
 * That is what keeps a broken or hostile worker from desynchronising a kept-alive connection.
 */

export interface ParsedResponse {
  status: number;
  contentType: string | undefined;
  retryAfter: string | undefined;
  /** Whether the connection may carry another request after this answer. */
  keepAlive: boolean;
  body: Buffer;
}

export type ParseStep =
  | { state: 'more' }
  /** `extra`: bytes received after the answer; on a connection that asked one question, none. */
  | { state: 'done'; response: ParsedResponse; extra: number }
  | { state: 'error'; message: string };

export interface ResponseLimits {
  maxHeadBytes: number;
  maxBodyBytes: number;
}

interface Head {
  status: number;
  contentType: string | undefined;
  retryAfter: string | undefined;
  keepAlive: boolean;
  framing: { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'close' };
}

type Phase = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'close' | 'done';

const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
const EMPTY: Buffer = Buffer.alloc(0);
const MORE: ParseStep = { state: 'more' };
/** A chunk-size line is a few hex digits; extensions are allowed but never this long. */
const MAX_CHUNK_LINE = 256;

const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [\t\x20-\x7e\x80-\xff]*)?$/;
const DIGITS = /^\d{1,15}$/;
const CHUNK_SIZE = /^([0-9A-Fa-f]{1,8})(?:[ \t]*;[\t\x20-\x7e]*)?$/;

export class ResponseParser {
  private buffer: Buffer = EMPTY;
  private phase: Phase = 'head';
  private head: Head | undefined;
  private readonly parts: Buffer[] = [];
  private bodySize = 0;
  /** Bytes still to read of the body (Content-Length) or of the current chunk. */
  private remaining = 0;
  private received = 0;

  constructor(private readonly limits: ResponseLimits) {}

  /** Whether any byte of the answer has arrived (a connection closed before that never answered). */
  get started(): boolean {
    return this.received > 0;
  }

  push(chunk: Buffer): ParseStep {
    if (this.phase === 'done') return { state: 'error', message: 'not HTTP (data after the answer)' };
    this.received += chunk.length;
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    return this.run();
  }

  /** The worker closed the connection: a body that runs until close is complete now, any other is cut short. */
  end(): { state: 'done'; response: ParsedResponse; extra: number } | { state: 'error'; message: string } {
    if (this.phase === 'close') return this.finish();
    return { state: 'error', message: 'connection closed before the answer was complete' };
  }

  private run(): ParseStep {
    for (;;) {
      switch (this.phase) {
        case 'head': {
          const end = this.buffer.indexOf(HEAD_END);
          if (end === -1 || end + 4 > this.limits.maxHeadBytes) {
            return end === -1 && this.buffer.length <= this.limits.maxHeadBytes
              ? MORE
              : { state: 'error', message: `not HTTP (headers over ${this.limits.maxHeadBytes} bytes)` };
          }
          const head = parseHead(this.buffer.toString('latin1', 0, end));
          if (typeof head === 'string') return { state: 'error', message: `not HTTP (${head})` };
          this.buffer = this.buffer.subarray(end + 4);
          // An informational answer (103 Early Hints) comes before the real one.
          if (head.status < 200) continue;
          this.head = head;
          const { framing } = head;
          if (framing.kind === 'none') return this.finish();
          if (framing.kind === 'length') {
            if (framing.length > this.limits.maxBodyBytes) return this.tooLarge();
            this.remaining = framing.length;
            this.phase = 'length';
          } else {
            this.phase = framing.kind === 'chunked' ? 'chunk-size' : 'close';
          }
          continue;
        }
        case 'length':
        case 'chunk-data': {
          const take = Math.min(this.remaining, this.buffer.length);
          if (take > 0) {
            this.parts.push(this.buffer.subarray(0, take));
            this.buffer = this.buffer.subarray(take);
            this.remaining -= take;
          }
          if (this.remaining > 0) return MORE;
          if (this.phase === 'length') return this.finish();
          this.phase = 'chunk-end';
          continue;
        }
        case 'chunk-size': {
          const line = this.line();
          if (line === undefined) return this.buffer.length > MAX_CHUNK_LINE ? { state: 'error', message: 'not HTTP (chunk size line too long)' } : MORE;
          const match = CHUNK_SIZE.exec(line);
          if (!match) return { state: 'error', message: 'not HTTP (invalid chunk size)' };
          const size = Number.parseInt(match[1]!, 16);
          if (size === 0) {
            this.phase = 'trailers';
            continue;
          }
          this.bodySize += size;
          if (this.bodySize > this.limits.maxBodyBytes) return this.tooLarge();
          this.remaining = size;
          this.phase = 'chunk-data';
          continue;
        }
        case 'chunk-end': {
          if (this.buffer.length < 2) return MORE;
          if (this.buffer[0] !== 13 || this.buffer[1] !== 10) return { state: 'error', message: 'not HTTP (chunk not followed by CRLF)' };
          this.buffer = this.buffer.subarray(2);
          this.phase = 'chunk-size';
          continue;
        }
        case 'trailers': {
          const line = this.line();
          if (line === undefined) return this.buffer.length > this.limits.maxHeadBytes ? { state: 'error', message: 'not HTTP (trailers too large)' } : MORE;
          if (line === '') return this.finish();
          const colon = fieldNameEnd(line, 0, line.length);
          if (colon === -1 || !isFieldValue(line, colon + 1, line.length)) return { state: 'error', message: 'not HTTP (invalid trailer line)' };
          continue;
        }
        case 'close': {
          this.bodySize += this.buffer.length;
          if (this.bodySize > this.limits.maxBodyBytes) return this.tooLarge();
          if (this.buffer.length > 0) this.parts.push(this.buffer);
          this.buffer = EMPTY;
          return MORE;
        }
        case 'done':
          return { state: 'error', message: 'not HTTP (data after the answer)' };
      }
    }
  }

  /** The next CRLF-terminated line (consumed), or undefined until one has arrived whole. */
  private line(): string | undefined {
    const eol = this.buffer.indexOf(CRLF);
    if (eol === -1) return undefined;
    const line = this.buffer.toString('latin1', 0, eol);
    this.buffer = this.buffer.subarray(eol + 2);
    return line;
  }

  private tooLarge(): ParseStep {
    return { state: 'error', message: `answer over ${this.limits.maxBodyBytes} bytes` };
  }

  private finish(): { state: 'done'; response: ParsedResponse; extra: number } {
    const head = this.head!;
    this.phase = 'done';
    const body = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    const keepAlive = head.keepAlive && head.framing.kind !== 'close';
    return {
      state: 'done',
      response: { status: head.status, contentType: head.contentType, retryAfter: head.retryAfter, keepAlive, body },
      extra: this.buffer.length,
    };
  }
}

/** The status line and headers (without the final CRLFCRLF), or why they are not HTTP/1.1. */
function parseHead(text: string): Head | string {
  // Scanned by hand rather than split and matched line by line: a worker's answer has a dozen
  // header lines, and the per-line regular expressions were the largest item of our own code
  // in a profile of the balancer under load.
  let eol = text.indexOf('\r\n');
  if (eol === -1) eol = text.length;
  const statusMatch = STATUS_LINE.exec(text.slice(0, eol));
  if (!statusMatch) return 'invalid status line';
  const http10 = statusMatch[1] === '0';
  const status = Number(statusMatch[2]);
  let contentType: string | undefined;
  let retryAfter: string | undefined;
  let contentLength: number | undefined;
  const codings: string[] = [];
  let close = false;
  let keepAliveToken = false;

  for (let start = eol + 2; start <= text.length; start = eol + 2) {
    eol = text.indexOf('\r\n', start);
    if (eol === -1) eol = text.length;
    // A line starting with whitespace is obsolete folding (not a token); CR or LF inside a line
    // is a bare one (a control character in the value).
    const colon = fieldNameEnd(text, start, eol);
    if (colon === -1 || !isFieldValue(text, colon + 1, eol)) return 'invalid header line';
    const nameLength = colon - start;
    // Only the names below matter; the rest are checked and skipped without a string made.
    if (!INTERESTING_LENGTHS.has(nameLength)) continue;
    const name = text.slice(start, colon).toLowerCase();
    if (!INTERESTING.has(name)) continue;
    const value = trimField(text, colon + 1, eol);
    switch (name) {
      case 'content-length': {
        if (!DIGITS.test(value)) return 'invalid content-length';
        const length = Number(value);
        if (contentLength !== undefined && contentLength !== length) return 'conflicting content-length';
        contentLength = length;
        break;
      }
      case 'transfer-encoding':
        for (const coding of value.split(',')) codings.push(coding.trim().toLowerCase());
        break;
      case 'connection':
        for (const token of value.split(',')) {
          const option = token.trim().toLowerCase();
          if (option === 'close') close = true;
          else if (option === 'keep-alive') keepAliveToken = true;
        }
        break;
      case 'content-type':
        contentType ??= value;
        break;
      case 'retry-after':
        retryAfter ??= value;
        break;
    }
  }

  if (status === 101) return 'switching protocols was not asked for';
  const keepAlive = !close && (!http10 || keepAliveToken);
  if (status < 200 || status === 204 || status === 304) return { status, contentType, retryAfter, keepAlive, framing: NO_BODY };
  if (codings.length > 0) {
    // Both framings at once is how requests are smuggled; chunked is the only coding asked for.
    if (contentLength !== undefined) return 'both content-length and transfer-encoding';
    if (http10 || codings.some((c, i) => c !== 'chunked' || i !== codings.length - 1)) return `unsupported transfer-encoding ${codings.join(', ')}`;
    return { status, contentType, retryAfter, keepAlive, framing: CHUNKED };
  }
  if (contentLength !== undefined) {
    return { status, contentType, retryAfter, keepAlive, framing: contentLength === 0 ? NO_BODY : { kind: 'length', length: contentLength } };
  }
  return { status, contentType, retryAfter, keepAlive, framing: UNTIL_CLOSE };
}

const INTERESTING = new Set(['content-length', 'transfer-encoding', 'connection', 'content-type', 'retry-after']);
const INTERESTING_LENGTHS = new Set([...INTERESTING].map((name) => name.length));
const NO_BODY = { kind: 'none' } as const;
const CHUNKED = { kind: 'chunked' } as const;
const UNTIL_CLOSE = { kind: 'close' } as const;

/** tchar of RFC 9110: the characters of a field name. */
const TOKEN = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TOKEN[c.charCodeAt(0)] = 1;

/** Where the colon after a field name is (the name: one token or more, nothing between it and the colon), or -1. */
function fieldNameEnd(text: string, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 58 /* : */) return i > start ? i : -1;
    if (c >= 128 || TOKEN[c] === 0) return -1;
  }
  return -1;
}

/** No control characters other than HTAB (so no CR or LF either), and no DEL. */
function isFieldValue(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127) return false;
  }
  return true;
}

/** The value without the spaces and tabs around it. */
function trimField(text: string, start: number, end: number): string {
  while (start < end && isBlank(text.charCodeAt(start))) start++;
  while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}
