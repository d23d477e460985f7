import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../../scripts/lib/managed-process.js';
import { listen, startBalancer, type Running } from '../support/in-process.js';

interface Report {
  totalFailed: number;
  phases: Array<{
    phase: number;
    summary: { sent: number; failed: number; servedBy: Record<string, { count: number }> };
    events: Array<{ kind: string }>;
    servedByServer2WhileStopped?: number;
  }>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function runLoadTest(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'scripts/load-test.ts'), ...args], {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

const dirs: string[] = [];
const servers: Running[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('phase load test, short version', () => {
  it(
    'when server2 is stopped and restarted mid-phase, then no request fails and server2 serves in phases 1 and 3 but not while stopped',
    async () => {
      const out = await mkdtemp(join(tmpdir(), 'distcalc-load-'));
      dirs.push(out);
      const ports = [await freePort(), await freePort(), await freePort()];
      const { code, output } = await runLoadTest([
        '--users', '10',
        '--requests', '5',
        // Long enough phases that a restarted server2 is back in rotation before phase 3 ends.
        '--min-phase-seconds', '2.5',
        '--number', '524287',
        '--number', (2n ** 521n - 1n).toString(),
        '--balancer-port', String(ports[0]),
        '--worker-ports', `${ports[1]},${ports[2]}`,
        '--copy-logs',
        '--out', out,
      ]);
      expect(code, output).toBe(0);
      const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as Report;
      expect(report.totalFailed).toBe(0);
      const [p1, p2, p3] = report.phases;
      for (const p of report.phases) expect(p.summary.sent).toBeGreaterThanOrEqual(50);
      expect(p1?.summary.servedBy.server2?.count).toBeGreaterThan(0);
      expect(p2?.servedByServer2WhileStopped).toBe(0);
      expect(p2?.events.map((e) => e.kind)).toEqual(expect.arrayContaining(['stop', 'removed']));
      expect(p3?.summary.servedBy.server2?.count).toBeGreaterThan(0);
      expect(p3?.events.map((e) => e.kind)).toEqual(expect.arrayContaining(['start', 'restored']));
      const files = await readdir(out);
      for (const f of ['report.html', 'phase-1-latency.svg', 'phase-3-servers.svg', 'balancer.log', 'server1.log', 'server2.log']) {
        expect(files).toContain(f);
      }
      expect(output).toMatch(/\| phase \| sent \|/);
    },
    60_000,
  );

  it('when requests fail, then the exit status is non-zero', async () => {
    const out = await mkdtemp(join(tmpdir(), 'distcalc-load-'));
    dirs.push(out);
    const broken = express();
    broken.get('/{*path}', (_req, res) => void res.status(500).json({ error: 'boom' }));
    const worker = await listen(broken);
    const balancer = await startBalancer();
    servers.push(balancer, worker);
    balancer.register({ url: worker.url, name: 'broken' });
    const { code, output } = await runLoadTest(['--target', 'url', '--balancer', balancer.url, '--users', '2', '--requests', '2', '--min-phase-seconds', '0', '--warm-up-seconds', '0.2', '--out', out]);
    expect(code, output).toBe(1);
    expect(output).toMatch(/Warm-up: 0 of [1-9]\d* answered/);
    expect(output).toMatch(/requests failed/);
  }, 30_000);

  it('when a port of its local stack is taken, then it says so and exits 2, leaving the logs there alone', async () => {
    const out = await mkdtemp(join(tmpdir(), 'distcalc-load-'));
    dirs.push(out);
    const taken = await listen(express());
    servers.push(taken);
    const balancerPort = Number(new URL(taken.url).port);
    const workerPorts = `${await freePort()},${await freePort()}`;
    const { code, output } = await runLoadTest(['--balancer-port', String(balancerPort), '--worker-ports', workerPorts, '--copy-logs', '--out', out]);
    expect(code, output).toBe(2);
    expect(output).toContain(`port ${balancerPort} is already in use`);
    expect(await readdir(out)).toEqual([]);
  }, 30_000);

  it('when a flag is wrong, then it says which and exits 2', async () => {
    const { code, output } = await runLoadTest(['--users', 'lots']);
    expect(code).toBe(2);
    expect(output).toContain('--users must be a whole number');
  });
});
