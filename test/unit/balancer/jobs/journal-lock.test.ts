import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openJournal } from '../../../../src/balancer/jobs/journal.js';
import { lockDataDir } from '../../../../src/balancer/jobs/journal-lock.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'distcalc-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid!;
}

describe('data directory lock', () => {
  it('when another running balancer holds the data directory, then opening its journal is refused, naming the holder', async () => {
    // The test runner's parent process stands in for the other balancer: it runs on this host.
    await lockDataDir(dir, { pid: process.ppid });
    await expect(openJournal({ dir })).rejects.toMatchObject({
      code: 'locked',
      message: expect.stringContaining(`in use by the balancer with pid ${process.ppid}`),
    });
    await expect(lockDataDir(dir, { host: 'elsewhere' })).rejects.toMatchObject({ code: 'locked' });
  });

  it('when a balancer on another host holds it, then it is refused: whether that one runs cannot be told from here', async () => {
    await lockDataDir(dir, { pid: await deadPid(), host: 'other-host' });
    await expect(openJournal({ dir })).rejects.toMatchObject({ code: 'locked', message: expect.stringContaining('on other-host') });
  });

  it('when the balancer that held it is gone (killed, or a restarted container with the same pid), then it is taken over', async () => {
    await lockDataDir(dir, { pid: await deadPid() });
    const first = await openJournal({ dir });
    await first.journal.close();
    await lockDataDir(dir);
    const again = await openJournal({ dir });
    await again.journal.close();
  });

  it('when a journal is closed, then its lock is given up and the next balancer opens it', async () => {
    const first = await openJournal({ dir });
    expect((await readdir(dir)).sort()).toEqual(['jobs.journal', 'jobs.lock']);
    await first.journal.close();
    expect(await readdir(dir)).toEqual(['jobs.journal']);
    await expect(lockDataDir(dir, { pid: process.ppid })).resolves.toBeDefined();
  });
});
