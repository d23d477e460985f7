/**
 * docs/openapi.yaml against the real programs: every reply below, from a real balancer and a
 * real worker, must be a status the document lists for its route, with the content type it
 * names and a body its schema accepts; and every route of the document is exercised.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startProcessStack, type ProcessStack } from '../support/processes.js';

interface Operation {
  responses: Record<string, Response | { $ref: string }>;
}
interface Response {
  content?: Record<string, { schema: unknown }>;
}
interface Spec {
  paths: Record<string, Record<string, Operation>>;
  components: { responses: Record<string, Response> };
}

const spec = parse(readFileSync(join(import.meta.dirname, '../../docs/openapi.yaml'), 'utf8')) as Spec & { openapi: string };
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addFormat('date-time', (value: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value) && !Number.isNaN(Date.parse(value)));
ajv.addSchema({ ...spec, $id: 'openapi' });

/** The document's path template for a concrete path: `/jobs/abc` is `/jobs/{id}`. */
function templateOf(path: string): string | undefined {
  const bare = path.split('?')[0]!;
  return Object.keys(spec.paths).find((template) => new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(bare));
}

const pointer = (...parts: string[]) => parts.map((p) => encodeURIComponent(p.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');

const exercised = new Set<string>();
/** The tests below that call routes, and how many of them ran. */
const ROUTE_TESTS = 3;
let routeTestsRun = 0;

/** Sends the request and checks the reply against the document; returns the body. */
async function check(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  const template = templateOf(path);
  const operation = template === undefined ? undefined : spec.paths[template]?.[method.toLowerCase()];
  if (!operation) {
    // The document's general rules: an unknown path is 404 not_found, a known path with a
    // method it does not list is 405 method_not_allowed with Allow.
    const expected = template === undefined ? { status: 404, error: 'not_found' } : { status: 405, error: 'method_not_allowed' };
    expect({ status: res.status, error: (JSON.parse(text) as { error?: string }).error }, `${method} ${path}`).toEqual(expected);
    if (expected.status === 405) expect(res.headers.get('allow')).toBeTruthy();
    expect(ajv.getSchema('openapi#/components/schemas/Error')!(JSON.parse(text))).toBe(true);
    return { status: res.status, json: JSON.parse(text) };
  }
  exercised.add(`${method} ${template}`);
  const status = String(res.status);
  let response = operation!.responses[status];
  expect(response, `${method} ${path}: ${status} is a documented reply (${text.slice(0, 120)})`).toBeDefined();
  const ref = (response as { $ref?: string }).$ref;
  if (ref) response = spec.components.responses[ref.split('/').pop()!]!;
  const content = (response as Response).content ?? {};
  const contentType = (res.headers.get('content-type') ?? '').split(';')[0]!;
  expect(Object.keys(content), `${method} ${path}: ${status} as ${contentType}`).toContain(contentType);
  if (contentType !== 'application/json') return { status: res.status, json: undefined };
  const json: unknown = JSON.parse(text);
  const schemaPath = ref
    ? `openapi#/components/responses/${pointer(ref.split('/').pop()!, 'content', contentType, 'schema')}`
    : `openapi#/paths/${pointer(template!, method.toLowerCase(), 'responses', status, 'content', contentType, 'schema')}`;
  const validate = ajv.getSchema(schemaPath);
  expect(validate, schemaPath).toBeDefined();
  const valid = validate!(json);
  expect(valid, `${method} ${path} ${status}: ${JSON.stringify(validate!.errors)} in ${text.slice(0, 300)}`).toBe(true);
  return { status: res.status, json };
}

describe('docs/openapi.yaml against the real programs', () => {
  let stack: ProcessStack;
  let balancer = '';
  let worker = '';

  beforeAll(async () => {
    stack = await startProcessStack(1, { TASK_TARGET_MS: '80' });
    balancer = stack.balancerUrl;
    worker = `http://127.0.0.1:${stack.workers[0]!.port}`;
  }, 30_000);
  afterAll(() => stack?.close());

  it('when it is read, then it is OpenAPI 3.1', () => {
    expect(spec.openapi).toBe('3.1.0');
  });

  it("when the balancer's routes are called, right and wrong, then every reply is as documented", async () => {
    routeTestsRun += 1;
    await check(balancer, 'GET', '/is_prime/524287');
    await check(balancer, 'GET', '/is_prime/12abc');
    await check(balancer, 'GET', `/is_prime/${'9'.repeat(2001)}`);
    await check(balancer, 'POST', '/is_prime/7');
    await check(balancer, 'GET', '/servers');
    await check(balancer, 'GET', '/health_check');
    await check(balancer, 'GET', '/status.json');
    await check(balancer, 'GET', '/metrics');
    await check(balancer, 'GET', '/');
    await check(balancer, 'POST', '/server_up', { address: 'http://127.0.0.1:1', name: 'extra' });
    await check(balancer, 'POST', '/server_up', { address: 'ftp://x' });
    await check(balancer, 'POST', '/server_up', '{not json');
    await check(balancer, 'POST', '/server_up', { address: 'http://127.0.0.1:1', pad: 'x'.repeat(3000) });
    await check(balancer, 'GET', '/server_up');
    await check(balancer, 'POST', '/server_down', { address: 'http://127.0.0.1:1' });
    await check(balancer, 'POST', '/server_down', { address: 'http://127.0.0.1:2' });
    await check(balancer, 'GET', '/servers');
  });

  it('when a job goes from submission to result, and wrong requests are made on the way, then every reply is as documented', async () => {
    routeTestsRun += 1;
    const { json } = await check(balancer, 'POST', '/jobs', { kind: 'count_primes', from: '0', to: '10000000' });
    const id = (json as { job: { id: string } }).job.id;
    const done = await check(balancer, 'GET', `/jobs/${id}?wait=30`);
    expect((done.json as { job: { status: string; result: unknown } }).job).toMatchObject({ status: 'done', result: { primes: '664579', twin_primes: '58980' } });
    await check(balancer, 'GET', '/jobs');
    await check(balancer, 'DELETE', `/jobs/${id}`);
    await check(balancer, 'GET', `/jobs/${id}?wait=soon`);
    await check(balancer, 'GET', '/jobs/no-such-job');
    await check(balancer, 'DELETE', '/jobs/no-such-job');
    await check(balancer, 'POST', '/jobs', { kind: 'count_primes', from: '10', to: '1' });
    await check(balancer, 'POST', '/jobs', '[');
  });

  it("when the worker's routes are called, right and wrong, then every reply is as documented", async () => {
    routeTestsRun += 1;
    await check(worker, 'GET', '/is_prime/7');
    await check(worker, 'GET', '/is_prime/x7');
    await check(worker, 'GET', '/health_check');
    await check(worker, 'GET', '/metrics');
    await check(worker, 'GET', '/count_primes/0/1000');
    await check(worker, 'GET', '/count_primes/24/28');
    await check(worker, 'GET', '/count_primes/5/1');
    await check(worker, 'GET', '/no/such/route');
  });

  // Last, and only when every test that calls routes ran (none was left out with -t).
  it('when every check above has run, then every route of the document was called', (ctx) => {
    if (routeTestsRun < ROUTE_TESTS) ctx.skip();
    const documented = Object.entries(spec.paths).flatMap(([path, operations]) =>
      Object.keys(operations)
        .filter((method) => ['get', 'post', 'delete', 'put', 'patch'].includes(method))
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.filter((route) => !exercised.has(route))).toEqual([]);
  });
});
