import type { ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';

// The few headers that matter for a JSON API (and the small status page): helmet would add a
// dependency to set the same handful of constants.
const HEADERS: ReadonlyArray<[string, string]> = [
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'no-referrer'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
  ['Cache-Control', 'no-store'],
];

export function applySecurityHeaders(res: ServerResponse): void {
  for (const [name, value] of HEADERS) res.setHeader(name, value);
}

export const securityHeaders: RequestHandler = (_req, res, next) => {
  applySecurityHeaders(res);
  next();
};
