import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalStack, stackDirs, type LocalStack } from '../../scripts/lib/local-stack.js';
import { projectRoot } from '../../scripts/lib/managed-process.js';
import { FAST } from '../support/processes.js';

/** Ports free now, for stacks whose folders are named after their first balancer's port. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

let stacks: LocalStack[] = [];
let folders: string[] = [];
afterEach(async () => {
  await Promise.all(stacks.map((s) => s.stop()));
  // Only the stacks' own folders: never the project's logs/ and data/ themselves.
  const shared = [join(projectRoot, 'logs'), join(projectRoot, 'data')];
  for (const folder of folders) if (!shared.includes(folder)) rmSync(folder, { recursive: true, force: true });
  stacks = [];
  folders = [];
});

describe('two local stacks from one checkout', () => {
  it('when a second stack starts on other ports beside a running one, then both run, each with its own job journal, and the first keeps its log files', async () => {
    const [b1, w1, b2, w2] = await freePorts(4);
    for (const port of [b1!, b2!]) folders.push(stackDirs(port).logDir, stackDirs(port).dataDir);
    const first = createLocalStack({ balancerPorts: [b1!], workerPorts: [w1!], env: FAST });
    stacks.push(first);
    await first.start();
    const firstLog = join(stackDirs(b1!).logDir, 'balancer.log');
    const before = readFileSync(firstLog, 'utf8');
    expect(before).toContain('"msg":"listening"');

    const second = createLocalStack({ balancerPorts: [b2!], workerPorts: [w2!], env: FAST });
    stacks.push(second);
    await second.start();

    expect(readFileSync(firstLog, 'utf8').startsWith(before)).toBe(true);
    for (const url of [first.balancerUrl, second.balancerUrl]) expect((await fetch(`${url}/is_prime/7`)).status).toBe(200);
    expect(stackDirs(9000)).toEqual({ logDir: join(projectRoot, 'logs'), dataDir: join(projectRoot, 'data') });
  }, 30_000);
});
