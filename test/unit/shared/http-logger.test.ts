import { createServer } from 'node:http';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createHttpLogger } from '../../../src/shared/http-logger.js';
import { captureLogger } from '../../support/logger.js';

/** A server that logs each request as the programs do and answers the status in its path. */
function loggedServer() {
  const { logger, records } = captureLogger('info');
  const httpLogger = createHttpLogger(logger);
  const server = createServer((req, res) => {
    httpLogger(req, res);
    res.statusCode = Number(/^\/status\/(\d+)/.exec(req.url ?? '')?.[1] ?? 200);
    res.end('{}');
  });
  return { server, lines: () => records.filter((r) => r.msg === 'request completed') };
}

describe('request log lines', () => {
  it('when a URL is thousands of characters long, then its line holds the first 512 and the length', async () => {
    const { server, lines } = loggedServer();
    const url = `/status/400/${'7'.repeat(15_000)}`;
    await request(server).get(url).expect(400);
    const logged = (lines()[0]!.req as { url: string }).url;
    expect(logged).toBe(`${url.slice(0, 512)}… (${url.length} characters)`);
  });

  it('when the answer is a 503 (a refusal with Retry-After), then the line is warn; any other 5xx is error', async () => {
    const { server, lines } = loggedServer();
    await request(server).get('/status/503').expect(503);
    await request(server).get('/status/502').expect(502);
    await request(server).get('/status/200').expect(200);
    expect(lines().map((line) => line.level)).toEqual([40, 50, 30]);
  });
});
