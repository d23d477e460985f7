/**
 * Many stand-in workers in one process, for `npm run bench:scale`: each an HTTP server of its
 * own on a loopback port, answering `/is_prime/:n` (small numbers, exactly, as a worker does on
 * its event loop) and `/health_check` as the worker's contract has them. Prints one JSON line
 * with the ports once every server listens, then runs until killed.
 *
 *   node dist/bench/stand-in-workers.js <count> <first name index>
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isPrimeSmall } from '../src/worker/primality.js';

const count = Number(process.argv[2] ?? 1);
const first = Number(process.argv[3] ?? 0);

function standIn(name: string): Server {
  return createServer((req, res) => {
    const url = req.url ?? '/';
    let status = 200;
    let body: unknown;
    const match = /^\/is_prime\/(\d{1,8})$/.exec(url);
    if (match) body = { number: match[1], is_prime: isPrimeSmall(Number(match[1])), server: name, elapsed_ms: 0 };
    else if (url === '/health_check') body = { status: 'ok', server: name };
    else {
      status = 404;
      body = { error: 'not_found' };
    }
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
}

const ports = await Promise.all(
  Array.from({ length: count }, (_, i) => {
    const server = standIn(`s${first + i}`);
    return new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  }),
);
process.stdout.write(`${JSON.stringify({ ports })}\n`);
