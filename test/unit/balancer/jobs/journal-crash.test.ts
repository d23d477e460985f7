import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openJournal } from '../../../../src/balancer/jobs/journal.js';

const projectRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const journalModule = new URL('../../../../src/balancer/jobs/journal.ts', import.meta.url).href;

/**
 * A program that appends tasks from four writers at once (so appends are group-committed) and
 * prints each task's number on stdout once its append has resolved: an acknowledgement. Writes
 * to a pipe are synchronous on Linux, so a printed number has left the process before a kill.
 */
const APPENDER = `
import { openJournal } from ${JSON.stringify(journalModule)};
const { journal } = await openJournal({ dir: process.env.JOURNAL_DIR });
await journal.append({ type: 'created', job: { id: 'j', kind: 'count_primes', from: '0', to: '999999999', createdAt: 0 } });
await journal.append({ type: 'started', id: 'j', at: 0 });
let next = 0;
const writer = async () => {
  for (;;) {
    const i = next++;
    const task = { from: String(i * 10), to: String(i * 10 + 9), primes: '0', twins: '0', firstPrime: null, lastPrime: null, server: 'child', elapsedMs: 0 };
    await journal.append({ type: 'task', id: 'j', task });
    process.stdout.write(i + '\\n');
  }
};
await Promise.all([writer(), writer(), writer(), writer()]);
`;
const WRITERS = 4;

/** Runs the appender until it has acknowledged `acks` appends, kills it, returns what it acknowledged. */
async function appendUntilKilled(dir: string, acks: number): Promise<{ acknowledged: number[]; signal: NodeJS.Signals | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', APPENDER], {
    cwd: projectRoot,
    env: { ...process.env, JOURNAL_DIR: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.split('\n').length > acks) child.kill('SIGKILL');
  });
  // 'close' comes after stdout has been read to its end: every acknowledgement is in.
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.once('close', (_code, sig) => resolve(sig)));
  const acknowledged = stdout.split('\n').slice(0, -1).map(Number);
  return { acknowledged, signal, stderr };
}

describe('the jobs journal in a crash', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'distcalc-journal-crash-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('when the appending process is killed mid-way, then no acknowledged append is lost and at most the unacknowledged tail is torn', async () => {
    const { acknowledged, signal, stderr } = await appendUntilKilled(dir, 60);
    expect(stderr).toBe('');
    expect(signal).toBe('SIGKILL');
    expect(acknowledged.length).toBeGreaterThanOrEqual(60);

    const { journal, jobs, problems } = await openJournal({ dir });
    const recorded = jobs[0]!.tasks.map((t) => Number(t.from) / 10);
    // Appends land in call order, so the file holds tasks 0..n-1 with nothing missing between.
    expect(recorded).toEqual([...recorded.keys()]);
    expect(new Set(recorded)).toEqual(new Set([...recorded, ...acknowledged]));
    // Beyond the last acknowledged one, only the appends still in flight (one per writer).
    expect(recorded.length).toBeLessThanOrEqual(Math.max(...acknowledged) + 1 + WRITERS);
    expect(problems.length).toBeLessThanOrEqual(1);
    for (const problem of problems) expect(problem).toMatch(/the last record (is cut short|fails its checksum)/);

    await journal.append({ type: 'ended', id: 'j', status: 'done', at: 1, error: null });
    await journal.close();
    const again = await openJournal({ dir });
    await again.journal.close();
    expect(again.problems).toEqual([]);
    expect(again.jobs[0]).toMatchObject({ status: 'done', totals: { tasks: recorded.length, counted: String(recorded.length * 10) } });
    // The killed process's lock was taken over, and given up at close.
    expect(await readdir(dir)).toEqual(['jobs.journal']);
  });
});
