import { timingSafeEqual, createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from '../../shared/http-error.js';

export interface Registration {
  address: string;
  name: string;
  /** The address's host, without brackets for IPv6, for the allow-list. */
  hostname: string;
  /** How many requests the worker says it can run at once, if it says. */
  capacity: number | undefined;
}

const NAME = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Validates a `/server_up` or `/server_down` body. The address must be a plain http(s)
 * origin (host and port, nothing else), because the balancer will send traffic there.
 * Returns the address normalised (`http://Server1:5000/` is `http://server1:5000`).
 */
export function parseRegistration(body: unknown): Registration {
  // No body, or one the JSON parser left alone: not sent as application/json.
  if (body === undefined) throw invalid('send the body as JSON, with Content-Type: application/json: {"address":"http://server1:5000","name":"server1"}');
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid('the body must be a JSON object like {"address":"http://server1:5000","name":"server1"}');
  }
  const { address, name, capacity } = body as Record<string, unknown>;
  if (typeof address !== 'string') throw invalid('"address" must be a URL string');
  if (address.length > 256) throw invalid(`"address" must be at most 256 characters, got ${address.length}`);
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw invalid(`"address" is not a URL: ${JSON.stringify(address.slice(0, 80))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('"address" must be http or https');
  if (url.username || url.password) throw invalid('"address" must not carry credentials');
  if (url.pathname !== '/' || url.search || url.hash || address.includes('?') || address.includes('#')) {
    throw invalid('"address" must be scheme, host and port only');
  }
  if (name !== undefined && (typeof name !== 'string' || !NAME.test(name))) {
    throw invalid('"name" must be 1 to 64 letters, digits, dots, dashes or underscores');
  }
  if (capacity !== undefined && (typeof capacity !== 'number' || !Number.isInteger(capacity) || capacity < 1 || capacity > 4096)) {
    throw invalid('"capacity" must be a whole number from 1 to 4096');
  }
  return { address: url.origin, name: name ?? url.host, hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'), capacity };
}

function invalid(message: string): HttpError {
  return new HttpError(400, 'invalid_registration', message);
}

/**
 * When a registration token is configured, `/server_up` and `/server_down` need
 * `Authorization: Bearer <token>`. Both sides are hashed first so the comparison takes the
 * same time whatever the length or content of the guess.
 */
export function requireToken(token: string | undefined): RequestHandler {
  if (token === undefined) return (_req, _res, next) => next();
  const expected = digest(token);
  return (req, _res, next) => {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer +(.+)$/i.exec(header);
    if (!match?.[1] || !timingSafeEqual(digest(match[1]), expected)) {
      throw new HttpError(401, 'unauthorized', 'a valid registration token is required', {
        'WWW-Authenticate': 'Bearer',
      });
    }
    next();
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
