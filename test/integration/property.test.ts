/**
 * Property-based tests: thousands of generated paths, methods, numbers and registration
 * bodies thrown at both programs. Every reply must be a documented status with a JSON body,
 * nothing may crash, and no client input may count against a worker.
 */
import { checkPrimeSync } from 'node:crypto';
import fc from 'fast-check';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBalancer, startWorker, type TestBalancer, type TestWorker } from '../support/in-process.js';

const DOCUMENTED = new Set([200, 400, 401, 403, 404, 405, 413, 415, 431, 503]);
const agent = new Agent({ connections: 8 });

async function send(origin: string, method: string, path: string, body?: string) {
  const res = await agent.request({
    origin,
    method,
    path,
    body,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
  });
  const text = await res.body.text();
  return { status: res.statusCode, type: String(res.headers['content-type'] ?? ''), text };
}

function expectDocumentedJson(reply: { status: number; type: string; text: string }, method: string, path = ''): void {
  expect(DOCUMENTED, `status ${reply.status}`).toContain(reply.status);
  if (method === 'HEAD') return;
  // The documented non-JSON replies: Prometheus text from /metrics, and the balancer's status page.
  // Express matches `//` as `/` (and `/status.js/` as `/status.js`).
  const bare = path.split('?')[0]?.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1');
  if (reply.status === 200 && bare === '/metrics') return expect(reply.type).toMatch(/^text\/plain/);
  if (reply.status === 200 && ['/', '/status.js', '/status.css'].includes(bare ?? '')) return expect(reply.type).toMatch(/^(text\/(html|css)|application\/javascript)/);
  expect(reply.type).toMatch(/^application\/json/);
  const body = JSON.parse(reply.text) as { error?: unknown };
  if (reply.status >= 400) expect(typeof body.error).toBe('string');
  expect(reply.text).not.toMatch(/\n\s+at |node_modules|\/src\//);
}

const digits = fc.string({ unit: fc.constantFrom('0', '1', '2', '7', '9'), minLength: 0, maxLength: 40 });
const nasty = fc.string({
  unit: fc.constantFrom('0', '9', 'a', 'e', 'x', '-', '+', '.', '%', '%2F', '%20', '%00', '%zz', '/', '١', '٣', '😀', '?', '#', '..'),
  maxLength: 30,
});
const paths = fc.oneof(
  digits.map((d) => `/is_prime/${d}`),
  nasty.map((s) => `/is_prime/${s.replace(/#/g, '%23')}`),
  fc.string({ maxLength: 40 }).map((s) => `/is_prime/${encodeURIComponent(s)}`),
  fc.webPath().map((p) => p || '/'),
  fc.constantFrom('/', '/servers', '/health_check', '/metrics', '/server_up', '/server_down', '/is_prime', '/IS_PRIME/7'),
);
/** What a client can put on the request line: anything outside visible ASCII percent-encoded. */
const onTheWire = (path: string) => path.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c));
const methods = fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS');

describe('generated requests', () => {
  let balancer: TestBalancer;
  let worker: TestWorker;
  beforeAll(async () => {
    worker = await startWorker('server1');
    balancer = await startBalancer();
    balancer.register(worker);
  });
  afterAll(async () => {
    await balancer.close();
    await worker.close();
  });

  it('when thousands of generated paths and methods hit the balancer and the worker, then every reply is documented JSON and no worker is blamed', async () => {
    await fc.assert(
      fc.asyncProperty(methods, paths, async (method, path) => {
        for (const origin of [balancer.url, worker.url]) {
          const reply = await send(origin, method, onTheWire(path));
          expectDocumentedJson(reply, method, path);
        }
      }),
      { numRuns: 1500 },
    );
    expect(balancer.registry.get(worker.url)).toMatchObject({ status: 'active', failures: 0 });
  });

  it('when any decimal number is asked about, then the answer matches OpenSSL and the number comes back as a string', async () => {
    await fc.assert(
      fc.asyncProperty(fc.bigInt({ min: 0n, max: 2n ** 200n }), fc.nat(3), async (n, zeros) => {
        const reply = await send(balancer.url, 'GET', `/is_prime/${'0'.repeat(zeros)}${n}`);
        expect(reply.status).toBe(200);
        const body = JSON.parse(reply.text) as { number: string; is_prime: boolean };
        expect(body.number).toBe(n.toString());
        expect(body.is_prime).toBe(checkPrimeSync(n));
      }),
      { numRuns: 500 },
    );
    expect(balancer.registry.get(worker.url)).toMatchObject({ status: 'active', failures: 0 });
  });
});

describe('generated registration bodies', () => {
  let balancer: TestBalancer;
  beforeAll(async () => {
    balancer = await startBalancer({ maxServers: 8 });
  });
  afterAll(() => balancer.close());

  const address = fc.oneof(
    fc.webUrl(),
    fc.webUrl({ withQueryParameters: true, withFragments: true }),
    fc.string(),
    fc.constantFrom('http://127.0.0.1:1', 'http://[::1]:2', 'javascript:alert(1)', 'http://a:b@c:1', 'http://x:99999', 'file:///etc/passwd'),
  );
  const body = fc.oneof(
    fc.record({ address, name: fc.option(fc.string(), { nil: undefined }), capacity: fc.option(fc.oneof(fc.integer(), fc.string()), { nil: undefined }) }).map((o) => JSON.stringify(o)),
    fc.json(),
    fc.string(),
  );

  it('when thousands of generated bodies are posted to /server_up and /server_down, then every reply is documented JSON', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/server_up', '/server_down'), body, async (path, payload) => {
        expectDocumentedJson(await send(balancer.url, 'POST', path, payload), 'POST');
      }),
      { numRuns: 1500 },
    );
    expect(balancer.registry.servers.length).toBeLessThanOrEqual(8);
    for (const server of balancer.registry.servers) {
      expect(server.address).toMatch(/^https?:\/\/[^/?#@]+$/);
    }
    expect((await send(balancer.url, 'GET', '/health_check')).status).toBe(200);
  });
});
