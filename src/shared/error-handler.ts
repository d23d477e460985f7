import type { ServerResponse } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { HttpError } from './http-error.js';
import type { Logger } from './logger.js';

/** Turns anything thrown into an HttpError: ours as they are, body-parser's by their type. */
function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (typeof err === 'object' && err !== null && 'type' in err) {
    switch ((err as { type: unknown }).type) {
      case 'entity.too.large':
        return new HttpError(413, 'payload_too_large', 'the request body is too large');
      case 'entity.parse.failed':
        return new HttpError(400, 'invalid_json', 'the request body is not valid JSON');
      case 'encoding.unsupported':
        return new HttpError(415, 'unsupported_media_type', 'the body\'s Content-Encoding is not supported; send it as identity, gzip, deflate or br');
      case 'charset.unsupported':
        return new HttpError(415, 'unsupported_media_type', 'the body must be UTF-8 JSON');
    }
  }
  // body-parser's other refusals (a gzip body that does not inflate, a body cut short) are
  // http-errors marked safe to show, with a 4xx status: the client's fault, not a bug of ours.
  if (typeof err === 'object' && err !== null && (err as { expose?: unknown }).expose === true) {
    const status = (err as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) return new HttpError(400, 'invalid_json', 'the request body could not be read');
  }
  if (err instanceof URIError) return new HttpError(400, 'bad_request', 'malformed percent-encoding in the URL');
  return new HttpError(500, 'internal_error', 'internal error');
}

/** Writes an HttpError as the JSON reply. */
function sendError(res: ServerResponse, error: HttpError): void {
  const body = JSON.stringify(error.toBody());
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res.statusCode = error.status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}

export const notFound: RequestHandler = (req) => {
  throw routeNotFound(req.method, req.path);
};

/** 404 for a path no route serves; the path is cut short in the message (it can be kilobytes). */
export function routeNotFound(method: string | undefined, path: string): HttpError {
  return new HttpError(404, 'not_found', `no route for ${method} ${path.length > 200 ? `${path.slice(0, 200)}…` : path}`);
}

/** 405 with an Allow header. A path that takes GET takes HEAD too (Node answers it as GET without the body). */
export function notAllowed(method: string | undefined, allowed: readonly string[]): HttpError {
  const allow = (allowed.includes('GET') && !allowed.includes('HEAD') ? [...allowed, 'HEAD'] : allowed).join(', ');
  return new HttpError(405, 'method_not_allowed', `${method} is not allowed here; use ${allowed.join(' or ')}`, { Allow: allow });
}

/** Answers 405 with an Allow header; mount with `.all()` after a path's real methods. */
export function methodNotAllowed(allowed: readonly string[]): RequestHandler {
  return (req) => {
    throw notAllowed(req.method, allowed);
  };
}

/**
 * The single place where errors become replies, for Express's error middleware and for a route
 * on Node's bare request and response alike. Never a stack trace in a reply: an error that is
 * not an HttpError is a bug of ours, answered 500 with a generic message, its detail logged.
 * An answer already on its way cannot be replaced: its connection is closed instead.
 */
export function replyWithError(err: unknown, res: ServerResponse, logger: Logger): void {
  const error = toHttpError(err);
  if (error.status >= 500 && !(err instanceof HttpError)) logger.error({ err }, 'request failed');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendError(res, error);
}

/** `replyWithError` as Express's error middleware, mounted last. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => replyWithError(err, res, req.log ?? logger);
}
