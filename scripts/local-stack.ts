/**
 * `npm start`: the balancer on :9000 and two workers (server1 on :5001, server2 on :5002) as
 * local processes. Every process's pino lines are printed here and written to logs/<name>.log.
 * Ctrl-C stops the workers (they drain and deregister) and then the balancer.
 *
 * Ports come from BALANCER_PORT and WORKER_PORTS (comma-separated) when set.
 */
import { createLocalStack } from './lib/local-stack.js';

function ports(): { balancerPort: number; workerPorts: number[] } {
  const balancerPort = Number(process.env.BALANCER_PORT ?? 9000);
  const workerPorts = (process.env.WORKER_PORTS ?? '5001,5002').split(',').map((p) => Number(p.trim()));
  for (const port of [balancerPort, ...workerPorts]) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      console.error(`local-stack: invalid port "${port}" in BALANCER_PORT or WORKER_PORTS`);
      process.exit(2);
    }
  }
  return { balancerPort, workerPorts };
}

const stack = createLocalStack({
  ...ports(),
  onLine: (_name, line) => process.stdout.write(`${line}\n`),
  // A process dying on its own is worth saying, not hiding.
  onExit: (name, code, signal) => {
    if (!stopping) console.error(`local-stack: ${name} exited (${signal ?? `code ${code}`})`);
  },
});

let stopping = false;
const stop = async (code: number): Promise<void> => {
  if (stopping) return;
  stopping = true;
  console.error('\nlocal-stack: stopping workers, then the balancer…');
  await stack.stop();
  console.error('local-stack: stopped');
  process.exit(code);
};
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

try {
  await stack.start();
  console.error(
    `local-stack: ready. Balancer ${stack.balancerUrl}, workers ${stack.workers
      .map((w) => `${w.name}:${w.port}`)
      .join(', ')}. Try: curl ${stack.balancerUrl}/is_prime/524287  (Ctrl-C stops)`,
  );
} catch (err) {
  console.error(`local-stack: could not start: ${err instanceof Error ? err.message : String(err)}`);
  await stop(1);
}
