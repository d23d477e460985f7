import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openJournal } from '../../../../src/balancer/jobs/journal.js';
import { lockDataDir, processOwner, type LockOwner } from '../../../../src/balancer/jobs/journal-lock.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'distcalc-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A process of this host that has exited, as its lock named it. */
async function goneOwner(): Promise<LockOwner> {
  const child = spawn('sleep', ['10']);
  await once(child, 'spawn');
  const owner = processOwner(child.pid!);
  child.kill();
  await once(child, 'exit');
  return owner;
}

/**
 * A process of this host that was killed and not yet waited for (a zombie): its parent, `sleep`,
 * never waits. Node reaps its own children at once, so the zombie is a grandchild.
 */
async function zombieOwner(): Promise<{ owner: LockOwner; parent: ChildProcess }> {
  const parent = spawn('sh', ['-c', 'sleep 30 & echo $!; kill -9 $!; exec sleep 30']);
  const [line] = (await once(parent.stdout!, 'data')) as [Buffer];
  const pid = Number(line.toString().trim());
  const owner = processOwner(pid);
  for (let i = 0; i < 200 && !(await readFile(`/proc/${pid}/stat`, 'utf8')).includes(') Z '); i += 1) await new Promise((r) => setTimeout(r, 10));
  return { owner, parent };
}

// The test runner's parent process stands in for another balancer running on this host.
const otherRunning = (): LockOwner => processOwner(process.ppid);

describe('data directory lock', () => {
  it('when another running balancer holds the data directory, then opening its journal is refused, naming the holder', async () => {
    await lockDataDir(dir, otherRunning());
    await expect(openJournal({ dir })).rejects.toMatchObject({ code: 'locked', message: expect.stringContaining(`in use by the balancer with pid ${process.ppid}`) });
  });

  it('when this very process opens the same data directory twice, then the second is refused', async () => {
    const first = await openJournal({ dir });
    await expect(openJournal({ dir })).rejects.toMatchObject({ code: 'locked' });
    await first.journal.close();
  });

  it('when a balancer on another host holds it, then it is refused: whether that one runs cannot be told from here', async () => {
    await lockDataDir(dir, { ...(await goneOwner()), host: 'other-host' });
    await expect(openJournal({ dir })).rejects.toMatchObject({ code: 'locked', message: expect.stringContaining('on other-host') });
  });

  it.each([
    ['whose process has exited (a crash, a kill)', goneOwner],
    ['with this pid but another start time (a container started again)', async () => ({ ...processOwner(process.pid), started: 1 })],
    ['whose pid now belongs to another process (reused)', async () => ({ ...otherRunning(), started: 1 })],
    ['from before the last boot', async () => ({ ...otherRunning(), boot: 'an-earlier-boot' })],
    ['with this pid, written without a start time (an older build, a container started again)', async () => ({ pid: process.pid, host: hostname() })],
  ])('when the lock was left by a balancer %s, then it is taken over', async (_what, owner) => {
    await lockDataDir(dir, await owner());
    const opened = await openJournal({ dir });
    await opened.journal.close();
  });

  it.runIf(process.platform === 'linux')('when the lock was left by a balancer killed and not yet waited for by its parent (a zombie), then it is taken over', async () => {
    const { owner, parent } = await zombieOwner();
    try {
      expect(await readFile(`/proc/${owner.pid}/stat`, 'utf8')).toContain(') Z ');
      await lockDataDir(dir, owner);
      const opened = await openJournal({ dir });
      await opened.journal.close();
    } finally {
      parent.kill();
    }
  });

  it.each([2, 3])('when %i balancers start at once over a stale lock, then exactly one of them gets it', async (count) => {
    const contenders = Array.from({ length: count }, () =>
      fork(join(import.meta.dirname, '../../../support/lock-contender.ts'), { execArgv: ['--import', 'tsx'] }),
    );
    const answer = (c: ChildProcess) => once(c, 'message').then(([m]) => m as string);
    try {
      await Promise.all(contenders.map(answer));
      for (let round = 0; round < 150; round += 1) {
        await lockDataDir(dir, await goneOwner());
        const answers = await Promise.all(contenders.map((c) => (c.send(dir), answer(c))));
        expect(answers.sort(), `round ${round}`).toEqual(['got', ...Array<string>(count - 1).fill('refused')]);
        await rm(join(dir, 'jobs.lock'));
      }
    } finally {
      for (const c of contenders) c.kill();
    }
    expect(await readdir(dir)).toEqual([]);
  });

  it('when a start was killed half way through taking a stale lock over, then the next start takes it over and clears what it left', async () => {
    const stale = await goneOwner();
    await lockDataDir(dir, stale);
    const staleText = `${JSON.stringify(stale)}\n`;
    const claim = `jobs.lock.claim.${createHash('sha256').update(staleText).digest('hex').slice(0, 16)}`;
    const killed = await goneOwner();
    await writeFile(join(dir, claim), `${JSON.stringify(killed)}\n`);
    await writeFile(join(dir, `jobs.lock.${killed.pid}.0123abcd`), 'half made');
    await writeFile(join(dir, `${claim}.${killed.pid}.89abcdef`), 'half made');
    const opened = await openJournal({ dir });
    expect((await readdir(dir)).sort()).toEqual(['jobs.journal', 'jobs.lock']);
    expect(await readFile(join(dir, 'jobs.lock'), 'utf8')).toBe(`${JSON.stringify(processOwner(process.pid))}\n`);
    await opened.journal.close();
  });

  it('when a leftover cannot be read or removed, then the journal opens all the same and the leftover stays', async () => {
    // A directory stands for any file that cannot be read or removed (another user's, say): root reads everything.
    const claim = join(dir, 'jobs.lock.claim.0123456789abcdef');
    const temp = join(dir, `jobs.lock.${(await goneOwner()).pid}.0123abcd`);
    await mkdir(claim);
    await mkdir(temp);
    const opened = await openJournal({ dir });
    expect((await readdir(dir)).sort()).toEqual(['jobs.journal', 'jobs.lock', 'jobs.lock.claim.0123456789abcdef', temp.slice(dir.length + 1)].sort());
    await opened.journal.close();
  });

  it('when a journal is closed, then its lock is given up, and only its own: one taken over since stays', async () => {
    const first = await openJournal({ dir });
    expect((await readdir(dir)).sort()).toEqual(['jobs.journal', 'jobs.lock']);
    await first.journal.close();
    expect(await readdir(dir)).toEqual(['jobs.journal']);
    const second = await lockDataDir(dir);
    const successor = `${JSON.stringify(otherRunning())}\n`;
    await writeFile(join(dir, 'jobs.lock'), successor);
    await second.release();
    expect(await readFile(join(dir, 'jobs.lock'), 'utf8')).toBe(successor);
  });
});
