import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../../scripts/lib/managed-process.js';
import { countWorker, naiveCount } from '../support/count-worker.js';
import { startBalancer, type Running } from '../support/in-process.js';

const cleanup: Running[] = [];
afterEach(async () => {
  for (const r of cleanup.splice(0).reverse()) await r.close();
});

/** Runs `npm run job -- <args>` (its script, not through npm) and collects what it prints. */
async function jobCommand(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'scripts/job.ts'), ...args], { cwd: projectRoot });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

describe('npm run job', () => {
  it('when given a range, then it runs the job on the balancer and prints the result and each server share', async () => {
    const balancer = await startBalancer();
    cleanup.push(balancer);
    for (const name of ['server1', 'server2']) {
      const worker = await countWorker(name);
      cleanup.push(worker);
      balancer.registry.register(worker.url, name, 1);
    }
    const { code, stdout } = await jobCommand(['0', '5e6', '--balancer', balancer.url]);
    const exact = naiveCount(0, 5_000_000);
    expect(code).toBe(0);
    expect(stdout).toContain(`primes in [0, 5000000]: ${exact.primes}`);
    expect(stdout).toContain(`twin prime pairs:   ${exact.twin_primes}`);
    expect(stdout).toMatch(/server1 +\d+ tasks/);
    expect(stdout).toMatch(/server2 +\d+ tasks/);
  });

  it('when the arguments are not two whole numbers, then it says so and exits 2', async () => {
    const { code, stderr } = await jobCommand(['0', 'lots']);
    expect(code).toBe(2);
    expect(stderr).toContain('expected two whole numbers');
  });

  it('when no balancer answers, then it says where it looked and exits 1', async () => {
    const { code, stderr } = await jobCommand(['0', '10', '--balancer', 'http://127.0.0.1:9']);
    expect(code).toBe(1);
    expect(stderr).toContain('cannot reach the balancer at http://127.0.0.1:9');
  });
});
