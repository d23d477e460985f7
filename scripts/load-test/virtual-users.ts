/**
 * A worker thread running a share of the virtual users. Each user sends its requests back
 * to back (the next one leaves when the previous one is answered), as a real client with one
 * connection does, and every result is posted to the main thread in batches.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Agent } from 'undici';
import { errorCode } from './answer.js';
import type { GoMessage, RequestRecord, ThreadMessage, UsersJob } from './types.js';

const job = workerData as UsersJob;
const port = parentPort;
if (!port) throw new Error('virtual-users must run in a worker thread');

// One keep-alive connection per user, as a browser or an SDK client would hold.
const agent = new Agent({ connections: job.users, headersTimeout: job.timeoutMs, bodyTimeout: job.timeoutMs });
let batch: RequestRecord[] = [];
const flush = (): void => {
  if (batch.length === 0) return;
  port.postMessage({ type: 'records', records: batch } satisfies ThreadMessage);
  batch = [];
};
const flusher = setInterval(flush, 100);

const now = (): number => performance.timeOrigin + performance.now();

async function oneRequest(user: number, path: string): Promise<RequestRecord> {
  const start = now();
  const base = { phase: job.phase, user, path, start };
  try {
    const res = await agent.request({ origin: job.baseUrl, path, method: 'GET', signal: AbortSignal.timeout(job.timeoutMs) });
    const text = await res.body.text();
    const latencyMs = now() - start;
    const server = headerValue(res.headers['x-served-by']);
    if (res.statusCode === 200) return { ...base, latencyMs, status: 200, server, error: null };
    return { ...base, latencyMs, status: res.statusCode, server, error: `${res.statusCode} ${errorCode(text)}` };
  } catch (err) {
    return { ...base, latencyMs: now() - start, status: 0, server: null, error: reasonOf(err) };
  }
}

async function user(id: number, until: number): Promise<void> {
  for (let i = 0; i < job.requestsPerUser || now() < until; i++) {
    const path = job.paths[(id + i) % job.paths.length]!;
    // Not `batch.push(await …)`: that would push into the batch that was current before the
    // await, which flush() may have sent and replaced meanwhile.
    const record = await oneRequest(id, path);
    batch.push(record);
  }
}

function headerValue(value: string | string[] | undefined): string | null {
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

function reasonOf(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    if (err.name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
    if (typeof code === 'string') return code;
    return err.name;
  }
  return 'unknown';
}

// Starting threads takes tens of milliseconds: wait until every thread is up, so that the
// phase's clock measures requests, not thread start-up.
const go = await new Promise<GoMessage>((resolve) => {
  port.once('message', (message: GoMessage) => resolve(message));
  port.postMessage({ type: 'ready' } satisfies ThreadMessage);
});
const until = job.minDurationMs > 0 ? go.startedAt + job.minDurationMs : 0;
await Promise.all(Array.from({ length: job.users }, (_, i) => user(job.firstUser + i, until)));
clearInterval(flusher);
flush();
port.postMessage({ type: 'done' } satisfies ThreadMessage);
await agent.close();
