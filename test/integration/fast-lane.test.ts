import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { closeServer } from '../../src/shared/close-server.js';
import { fakeWorker } from '../support/fake-worker.js';
import { startBalancer, startWorker, type Running } from '../support/in-process.js';
import { RawConnection, rawRequest, type RawResponse } from '../support/raw-http.js';

// The balancer reads simple /is_prime requests itself (fast-lane.ts) and hands everything
// else to Node's HTTP server. These tests talk raw HTTP/1.1 to it, to see what a client sees
// at the edges: pipelining, a switch to Node mid-connection, split requests, keep-alive.

const cleanup: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const r of cleanup.splice(0).reverse()) await Promise.resolve(r.close()).catch(() => undefined);
});
function track<T extends { close(): unknown }>(running: T): T {
  cleanup.push(running);
  return running;
}

async function balancerWithWorker(): Promise<Running> {
  const balancer = track(await startBalancer());
  const worker = track(await startWorker('server1'));
  balancer.register(worker);
  return balancer;
}

async function open(url: string): Promise<RawConnection> {
  return track(await RawConnection.open(url));
}

const numberOf = (response: RawResponse) => (JSON.parse(response.body) as { number?: string }).number;

describe('fast lane', () => {
  it('when requests are pipelined and a later one is answered first, then the answers still come in request order', async () => {
    const balancer = track(await startBalancer({ selection: 'round_robin' }));
    const slow = track(await fakeWorker('slow', 'slow', { slowMs: 300 }));
    const fast = track(await startWorker('fast'));
    balancer.register(slow);
    balancer.register(fast);
    const connection = await open(balancer.url);
    connection.send(['11', '12', '13', '14'].map((n) => rawRequest(`/is_prime/${n}`)).join(''));
    const answers = await connection.answers(4);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(answers.map(numberOf)).toEqual(['11', '12', '13', '14']);
    // Round robin: the slow worker had two of them, so order was kept, not just lucky.
    expect(new Set(answers.map((a) => a.headers['x-served-by']))).toEqual(new Set(['slow', 'fast']));
  });

  it('when a request for another route comes between simple ones, then Node answers it in its place and the rest follow', async () => {
    const balancer = await balancerWithWorker();
    const connection = await open(balancer.url);
    connection.send(rawRequest('/is_prime/7') + rawRequest('/servers') + rawRequest('/is_prime/8'));
    const [first, servers, last] = await connection.answers(3);
    expect(numberOf(first!)).toBe('7');
    expect(JSON.parse(servers!.body)).toMatchObject({ servers: [{ name: 'server1' }] });
    expect(numberOf(last!)).toBe('8');
  });

  it('when a request arrives in two pieces while an answer is still owed, then both are answered in order', async () => {
    const balancer = track(await startBalancer());
    const slow = track(await fakeWorker('slow', 'slow', { slowMs: 200 }));
    balancer.register(slow);
    const connection = await open(balancer.url);
    const second = rawRequest('/is_prime/8');
    connection.send(rawRequest('/is_prime/7') + second.slice(0, 20));
    await new Promise((r) => setTimeout(r, 50));
    connection.send(second.slice(20));
    const answers = await connection.answers(2);
    expect(answers.map(numberOf)).toEqual(['7', '8']);
  });

  it('when a request arrives in two pieces, then it is answered like any other', async () => {
    const balancer = await balancerWithWorker();
    const connection = await open(balancer.url);
    const text = rawRequest('/is_prime/524287', ['X-Request-Id: split-1']);
    connection.send(text.slice(0, 20));
    await new Promise((r) => setTimeout(r, 50));
    connection.send(text.slice(20));
    const [answer] = await connection.answers(1);
    expect(answer).toMatchObject({ status: 200, headers: { 'x-request-id': 'split-1' } });
    expect(JSON.parse(answer!.body)).toMatchObject({ number: '524287', is_prime: true });
  });

  it('when a request is malformed, then Node refuses it with our JSON 400, as without the lane', async () => {
    const balancer = await balancerWithWorker();
    const connection = await open(balancer.url);
    // An obsolete folded header line: not simple, and not valid for Node either.
    connection.send('GET /is_prime/7 HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded\r\n\r\n');
    const [answer] = await connection.answers(1);
    expect(answer!.status).toBe(400);
    expect(JSON.parse(answer!.body)).toMatchObject({ error: 'bad_request' });
    await connection.closedByServer();
  });

  it('when the client sends Connection: close and more, then only that request is answered and the connection is closed', async () => {
    const balancer = await balancerWithWorker();
    const connection = await open(balancer.url);
    connection.send(rawRequest('/is_prime/7', ['Connection: close']) + rawRequest('/is_prime/8'));
    const [answer] = await connection.answers(1);
    expect(answer).toMatchObject({ status: 200, headers: { connection: 'close' } });
    await connection.closedByServer();
    expect(connection.responses).toHaveLength(1);
  });

  it('when the client half-closes before its answer, then the request is cancelled at the worker and the connection closed', async () => {
    const balancer = track(await startBalancer());
    const slow = track(await fakeWorker('slow', 'slow', { slowMs: 2_000 }));
    balancer.register(slow);
    const connection = await open(balancer.url);
    connection.send(rawRequest('/is_prime/7'));
    await new Promise((r) => setTimeout(r, 100));
    connection.socket.end();
    await connection.closedByServer(1_000);
    expect(connection.responses).toHaveLength(0);
    await expect.poll(() => slow.seen.closedEarly).toBe(1);
  });

  it('when a HEAD comes before a GET on one connection, then it gets the headers only and the GET its whole answer', async () => {
    const balancer = await balancerWithWorker();
    const connection = await open(balancer.url);
    connection.send(rawRequest('/is_prime/7', [], 'HEAD') + rawRequest('/is_prime/9'), [true, false]);
    const [head, get] = await connection.answers(2);
    expect(head).toMatchObject({ status: 200, body: '' });
    expect(Number(head!.headers['content-length'])).toBeGreaterThan(0);
    expect(JSON.parse(get!.body)).toMatchObject({ number: '9', is_prime: false });
  });

  it('when a client pipelines a hundred requests, then every one is answered, in order', async () => {
    const balancer = await balancerWithWorker();
    const connection = await open(balancer.url);
    const numbers = Array.from({ length: 100 }, (_, i) => String(1000 + i));
    connection.send(numbers.map((n) => rawRequest(`/is_prime/${n}`)).join(''));
    const answers = await connection.answers(100);
    expect(answers.map(numberOf)).toEqual(numbers);
  });

  it('when a kept-alive connection is idle for the keep-alive timeout and a second, then it is closed; a request in progress keeps it', async () => {
    const balancer = track(await startBalancer());
    const slow = track(await fakeWorker('slow', 'slow', { slowMs: 400 }));
    balancer.register(slow);
    (balancer.server as Server).keepAliveTimeout = 200;
    const connection = await open(balancer.url);
    connection.send(rawRequest('/is_prime/7'));
    const [answer] = await connection.answers(1);
    // The answer took 400 ms, twice the timeout, and the connection was not cut.
    expect(answer).toMatchObject({ status: 200, headers: { 'keep-alive': 'timeout=0' } });
    const idleSince = Date.now();
    await connection.closedByServer();
    // Node's own grace second after the announced timeout, so a client reusing it in time is safe.
    expect(Date.now() - idleSince).toBeGreaterThanOrEqual(1_100);
    expect(Date.now() - idleSince).toBeLessThan(2_500);
  });

  it('when a new connection sends nothing, then it waits the headers timeout, not the keep-alive one, and gets a JSON 408', async () => {
    const balancer = await balancerWithWorker();
    const server = balancer.server as Server;
    server.keepAliveTimeout = 100;
    server.headersTimeout = 600;
    const opened = Date.now();
    const connection = await open(balancer.url);
    await connection.closedByServer();
    expect(Date.now() - opened).toBeGreaterThanOrEqual(500);
    const [answer] = connection.responses;
    expect(answer?.status).toBe(408);
    expect(JSON.parse(answer!.body)).toMatchObject({ error: 'request_timeout' });
  });

  it('when the answer is an error, then the lane sends exactly what Node sends for the same request', async () => {
    const balancer = await balancerWithWorker();
    const viaLane = await open(balancer.url);
    const viaNode = await open(balancer.url);
    const cases = ['/is_prime/abc', '/is_prime/1/2', `/is_prime/${'9'.repeat(3000)}`, '/is_prime/12'];
    for (const target of cases) {
      viaLane.send(rawRequest(target, ['X-Request-Id: same-id']));
      // A Content-Length makes the request Node's to read; it changes nothing else.
      viaNode.send(rawRequest(target, ['X-Request-Id: same-id', 'Content-Length: 0']));
    }
    const lane = await viaLane.answers(cases.length);
    const node = await viaNode.answers(cases.length);
    // What may differ: the clock, and the worker's timing (and so the length) in the answer.
    const comparable = (r: RawResponse) => {
      const timed = r.body.includes('elapsed_ms');
      const headers = { ...r.headers, date: 'any', ...(timed ? { 'content-length': 'any' } : {}) };
      return { ...r, headers, body: r.body.replace(/"elapsed_ms":[0-9.]+/, '') };
    };
    expect(lane.map(comparable)).toEqual(node.map(comparable));
    expect(lane.map((r) => r.status)).toEqual([400, 404, 400, 200]);
  });

  it('when the server shuts down, then an idle lane connection is closed and a busy one gets its answer with Connection: close', async () => {
    const balancer = track(await startBalancer());
    const slow = track(await fakeWorker('slow', 'slow', { slowMs: 300 }));
    balancer.register(slow);
    const idle = await open(balancer.url);
    idle.send(rawRequest('/is_prime/5'));
    await idle.answers(1);
    const busy = await open(balancer.url);
    busy.send(rawRequest('/is_prime/7'));
    const unused = await open(balancer.url);
    await new Promise((r) => setTimeout(r, 50));
    const closed = closeServer(balancer.server as Server);
    // A connection opened before shutdown whose first request comes just after it began.
    await new Promise((r) => setTimeout(r, 10));
    unused.send(rawRequest('/is_prime/9'));
    await idle.closedByServer(1_000);
    const [answer] = await busy.answers(1);
    expect(answer).toMatchObject({ status: 200, headers: { connection: 'close' } });
    const [late] = await unused.answers(1);
    expect(late).toMatchObject({ status: 200, headers: { connection: 'close' } });
    await busy.closedByServer(1_000);
    await unused.closedByServer(1_000);
    await closed;
  });
});
