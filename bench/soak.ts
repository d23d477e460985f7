/**
 * Soak: minutes of load while the workers are stopped and started on a schedule (graceful
 * and hard kills in turn, never both at once). Prints requests lost (must be 0) and the
 * balancer's memory at the start and the end. Not part of `npm test`: run `npm run soak`.
 *
 *   npm run soak -- --seconds 180 --users 20
 */
import { parseArgs } from 'node:util';
import { createLocalStack } from '../scripts/lib/local-stack.js';
import { runPhase } from '../scripts/load-test/run-phase.js';
import { summarize } from '../scripts/load-test/stats.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '180' },
    users: { type: 'string', default: '20' },
    'every-seconds': { type: 'string', default: '10' },
    'balancer-port': { type: 'string', default: '9100' },
  },
});
const seconds = Number(values.seconds);
const users = Number(values.users);
const everyMs = Number(values['every-seconds']) * 1000;
const balancerPort = Number(values['balancer-port']);
for (const [name, v] of Object.entries({ seconds, users, everyMs, balancerPort })) {
  if (!Number.isFinite(v) || v <= 0) throw new Error(`soak: bad value for ${name}`);
}

interface Memory {
  rssMb: number;
  heapMb: number;
}

async function balancerMemory(url: string): Promise<Memory> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20;
  return {
    rssMb: Math.round(metric('distcalc_balancer_process_resident_memory_bytes') * 10) / 10,
    heapMb: Math.round(metric('distcalc_balancer_nodejs_heap_size_used_bytes') * 10) / 10,
  };
}

const stack = createLocalStack({
  balancerPorts: [balancerPort],
  workerPorts: [balancerPort + 1, balancerPort + 2],
  env: { HEALTH_CHECK_INTERVAL_MS: '500', IDLE_CHECK_AFTER_MS: '1000', LOG_LEVEL: 'warn' },
});
await stack.start();
const memoryAtStart = await balancerMemory(stack.balancerUrl);
console.log(`soak: ${seconds} s, ${users} users, a worker stopped every ${everyMs / 1000} s; balancer at start: ${JSON.stringify(memoryAtStart)}`);

// The schedule: stop one worker (alternating which, and SIGTERM / SIGKILL), bring it back
// after a third of the period, so one worker is always up.
let round = 0;
const events: string[] = [];
const schedule = setInterval(() => {
  const worker = stack.workers[round % stack.workers.length]!;
  const signal = round % 4 < 2 ? 'SIGTERM' : 'SIGKILL';
  round += 1;
  void (async () => {
    events.push(`${new Date().toISOString()} ${worker.name} ${signal}`);
    await worker.stop(signal);
    await new Promise((r) => setTimeout(r, everyMs / 3));
    await worker.start();
    events.push(`${new Date().toISOString()} ${worker.name} started`);
  })();
}, everyMs);

const run = await runPhase({
  phase: 1,
  baseUrl: stack.balancerUrl,
  paths: ['/is_prime/524287', '/is_prime/6700417', `/is_prime/${(2n ** 127n - 1n).toString()}`],
  users,
  requestsPerUser: 1,
  minDurationMs: seconds * 1000,
  timeoutMs: 30_000,
});
clearInterval(schedule);
await new Promise((r) => setTimeout(r, everyMs / 2));
const memoryAtEnd = await balancerMemory(stack.balancerUrl);
await stack.stop();

const summary = summarize(run.records, run.startedAt, run.endedAt);
console.log(`worker stops and starts: ${events.length}`);
console.log(`requests: ${summary.sent}, succeeded: ${summary.succeeded}, lost: ${summary.failed}`);
if (summary.failed > 0) console.log(`lost by reason: ${JSON.stringify(summary.failuresByReason)}`);
console.log(`latency ms: ${JSON.stringify(summary.latencyMs)}; req/s: ${summary.requestsPerSecond}`);
console.log(`served by: ${JSON.stringify(summary.servedBy)}`);
console.log(`balancer memory: start ${JSON.stringify(memoryAtStart)}, end ${JSON.stringify(memoryAtEnd)}`);
process.exit(summary.failed === 0 ? 0 : 1);
