/**
 * The least a Node.js proxy does, for bench/floor.ts: Node's HTTP server in front of the given
 * workers, each request passed to the next in turn with one undici Agent (kept-alive pools), and
 * the answer's status, type and body passed back. No logging, metrics, retries, admission or
 * request ids: what is left of the balancer's CPU per request is the HTTP stack's own.
 *
 *   node dist/bench/bare-proxy.js <port> <worker URL>...
 */
import { createServer } from 'node:http';
import { Agent } from 'undici';

const [port, ...workers] = process.argv.slice(2);
if (port === undefined || workers.length === 0) {
  console.error('usage: bare-proxy <port> <worker URL>...');
  process.exit(2);
}
const agent = new Agent({ keepAliveTimeout: 4_000 });
let next = 0;

const server = createServer((req, res) => {
  const origin = workers[next++ % workers.length]!;
  agent
    .request({ origin, path: req.url ?? '/', method: 'GET' })
    .then(async (answer) => {
      const body = Buffer.from(await answer.body.arrayBuffer());
      res.writeHead(answer.statusCode, { 'content-type': String(answer.headers['content-type'] ?? 'application/json') });
      res.end(body);
    })
    .catch((err: unknown) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
});
server.listen(Number(port), '127.0.0.1', () => console.log(`listening on ${port}`));
process.on('SIGTERM', () => server.close(() => void agent.close().then(() => process.exit(0))));
