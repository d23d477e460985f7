import type { RequestHandler } from 'express';
import { HttpError } from './http-error.js';

/** body-parser takes any `utf-*` charset; the API takes UTF-8 JSON only (docs/api.md). */
export const utf8Only: RequestHandler = (req, _res, next) => {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new HttpError(415, 'unsupported_media_type', 'the body must be UTF-8 JSON');
  }
  next();
};
