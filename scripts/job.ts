/**
 * `npm run job -- <from> <to>`: counts the primes and twin primes in [from, to] on a running
 * balancer, with a progress bar on a terminal, then prints the result and each server's share.
 * Ctrl-C cancels the job.
 *
 *   npm run job -- 0 1e11
 *   npm run job -- 1e12 1e12+1e9 --balancer http://127.0.0.1:9000
 */
import { parseArgs } from 'node:util';
import { parseWhole } from './job/numbers.js';
import { progressLine, summary, type JobView } from './job/progress.js';

const usage = 'usage: npm run job -- <from> <to> [--balancer http://127.0.0.1:9000]   (numbers like 1000000, 1e11, 10^12)';
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { balancer: { type: 'string', default: process.env.BALANCER_URL ?? 'http://127.0.0.1:9000' }, help: { type: 'boolean', short: 'h' } },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const [fromText, toText] = positionals;
const from = fromText === undefined ? undefined : parseSum(fromText);
const to = toText === undefined ? undefined : parseSum(toText);
if (from === undefined || to === undefined || positionals.length !== 2) {
  console.error(`job: expected two whole numbers, from and to\n${usage}`);
  process.exit(2);
}
const balancer = values.balancer.replace(/\/$/, '');

/** `1e12+1e9` is a sum of whole numbers. */
function parseSum(text: string): string | undefined {
  let total = 0n;
  for (const part of text.split('+')) {
    const value = parseWhole(part);
    if (value === undefined) return undefined;
    total += BigInt(value);
  }
  return total.toString();
}

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  let res: Response;
  try {
    res = await fetch(`${balancer}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    console.error(`job: cannot reach the balancer at ${balancer} (${(err as Error).cause ?? (err as Error).message}); is it running? (npm start)`);
    process.exit(1);
  }
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const created = await call('POST', '/jobs', { kind: 'count_primes', from, to });
if (created.status !== 202) {
  console.error(`job: the balancer refused the job: ${created.status} ${String(created.json.error)}: ${String(created.json.message ?? '')}`);
  process.exit(1);
}
let job = created.json.job as JobView;
const tty = process.stdout.isTTY === true;
console.log(`job ${job.id}: counting primes and twin primes in [${job.from}, ${job.to}]${tty ? ' (Ctrl-C cancels it)' : ''}`);

let cancelling = false;
process.on('SIGINT', () => {
  if (cancelling) process.exit(130);
  cancelling = true;
  void call('DELETE', `/jobs/${job.id}`).then(() => {
    process.stdout.write(tty ? '\n' : '');
    console.error(`job: cancelled job ${job.id}`);
    process.exit(130);
  });
});

const started = Date.now();
let lastTenth = -1;
while (job.status === 'queued' || job.status === 'running') {
  const { json } = await call('GET', `/jobs/${job.id}?wait=${tty ? 0.25 : 2}`);
  job = json.job as JobView;
  if (tty) {
    process.stdout.write(`\r${progressLine(job, process.stdout.columns ?? 80, Date.now() - started)}\u001b[K`);
  } else if (Math.floor(job.progress.fraction * 10) > lastTenth) {
    lastTenth = Math.floor(job.progress.fraction * 10);
    console.log(progressLine(job, 80, Date.now() - started));
  }
}
if (tty) process.stdout.write('\n');
for (const line of summary(job)) console.log(line);
process.exit(job.status === 'done' ? 0 : 1);
