/**
 * `npm start`: the balancer on :9000 and two workers (server1 on :5001, server2 on :5002) as
 * local processes. Every process's pino lines are printed here and written to logs/<name>.log.
 * Ctrl-C stops the workers (they drain and deregister) and then the balancer.
 *
 *   npm start -- --workers 4       server1..server4 on :5001..:5004
 *   npm start -- --balancers 2     a second balancer on :9001; every worker announces to both
 *
 * BALANCER_PORT moves the first balancer (the others follow it); WORKER_PORTS (comma-separated)
 * sets the workers' ports. A stack on another BALANCER_PORT than 9000 keeps its logs in
 * logs/<port>/ and its job journals in data/<port>/, so it runs beside one on the default ports.
 */
import './lib/require-node.js';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { createLocalStack } from './lib/local-stack.js';
import { takenPort } from './lib/ports.js';
import { createTerminalLog } from './lib/terminal-log.js';

function fail(message: string): never {
  console.error(`local-stack: ${message}`);
  process.exit(2);
}

function count(flag: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) fail(`--${flag} must be a whole number from 1 to ${max}, got "${raw}"`);
  return value;
}

function ports(): { balancerPorts: number[]; workerPorts: number[] } {
  let values: { workers?: string; balancers?: string };
  try {
    ({ values } = parseArgs({ options: { workers: { type: 'string' }, balancers: { type: 'string' } } }));
  } catch (err) {
    fail(`${err instanceof Error ? err.message : String(err)} (options: --workers N, --balancers N)`);
  }
  const balancers = count('balancers', values.balancers, 1, 9);
  const firstBalancer = Number(process.env.BALANCER_PORT ?? 9000);
  const balancerPorts = Array.from({ length: balancers }, (_, i) => firstBalancer + i);
  const listed = process.env.WORKER_PORTS?.split(',').map((p) => Number(p.trim()));
  const workers = count('workers', values.workers, listed?.length ?? 2, 64);
  if (listed && listed.length !== workers) fail(`WORKER_PORTS lists ${listed.length} ports but --workers asks for ${workers}`);
  const workerPorts = listed ?? Array.from({ length: workers }, (_, i) => 5001 + i);
  for (const port of [...balancerPorts, ...workerPorts]) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`invalid port "${port}" from BALANCER_PORT or WORKER_PORTS`);
  }
  const all = [...balancerPorts, ...workerPorts];
  if (new Set(all).size !== all.length) fail(`two processes would share a port: ${all.join(', ')}`);
  return { balancerPorts, workerPorts };
}

/** One line a port is taken, naming the variable that moves it; undefined when all are free. */
async function portTaken(ports: { balancerPorts: number[]; workerPorts: number[] }): Promise<string | undefined> {
  for (const [variable, list] of [['BALANCER_PORT', ports.balancerPorts], ['WORKER_PORTS', ports.workerPorts]] as const) {
    const port = await takenPort(list);
    if (port !== undefined) return `port ${port} is already in use (another npm start?); stop what holds it (ss -ltnp 'sport = :${port}') or set ${variable}`;
  }
  return undefined;
}

// People read the terminal: readable lines there; the log files keep pino's JSON.
const print = createTerminalLog({ tty: process.stdout.isTTY === true, write: (text) => process.stdout.write(text) });

const chosen = ports();
const taken = await portTaken(chosen);
if (taken) fail(taken);

const stack = createLocalStack({
  ...chosen,
  onLine: (_name, line) => print(line),
  // A process dying on its own is worth saying, not hiding.
  onExit: (name, code, signal) => {
    if (!stopping) console.error(`local-stack: ${name} exited (${signal ?? `code ${code}`})`);
  },
});

let stopping = false;
const stop = async (code: number): Promise<void> => {
  if (stopping) return;
  stopping = true;
  console.error('\nlocal-stack: stopping the workers, then the balancers…');
  await stack.stop();
  console.error('local-stack: stopped');
  process.exit(code);
};
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

try {
  await stack.start();
  console.error(
    `local-stack: ready. Balancer${stack.balancerUrls.length > 1 ? 's' : ''} ${stack.balancerUrls.join(', ')}, workers ${stack.workers
      .map((w) => `${w.name}:${w.port}`)
      .join(', ')}, logs in ${relative(process.cwd(), stack.logDir) || '.'}/. Try: curl ${stack.balancerUrl}/is_prime/524287  (Ctrl-C stops)`,
  );
} catch (err) {
  console.error(`local-stack: could not start: ${err instanceof Error ? err.message : String(err)}`);
  await stop(1);
}
