import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { JournalError } from './journal-error.js';
import { errorCode, io, ioError } from './journal-fs.js';

export interface DirLock {
  /** Gives the directory up (the balancer closed its journal), if the lock is still this one's. */
  release(): Promise<void>;
}

/** Who holds a data directory: a process, told apart from a later one with the same pid. */
export interface LockOwner {
  pid: number;
  host: string;
  /** The kernel's boot id, and when the process started (clock ticks after boot), where /proc has them. */
  boot?: string;
  started?: number;
}

/**
 * Makes this balancer the one owner of a data directory. Two balancers over one journal would
 * each replay and run the other's jobs, and the second one's compaction would leave the first
 * appending to a file that is no longer the journal: jobs it accepted would be gone at its next
 * start. `<dir>/jobs.lock` names the owner.
 *
 * The lock file is written whole under a name of its own and then linked into place, which
 * fails if one is there: no one ever reads a lock half written. A lock whose owner is gone (its
 * host is this one, and no process with its pid and start time runs, or only a zombie: a crash,
 * a kill, a reboot, a container started again) is removed by the one start that claims it, so
 * that two starts cannot both take it. A lock held from another host is a `locked` JournalError: whether
 * that balancer still runs cannot be told from here.
 */
export async function lockDataDir(dir: string, self: LockOwner = processOwner(process.pid)): Promise<DirLock> {
  const path = join(dir, 'jobs.lock');
  const mine = `${JSON.stringify(self)}\n`;
  for (let attempt = 0; attempt < 50; attempt += 1) {
    if (await place(path, mine)) {
      await clearLeftovers(dir, self);
      return { release: () => removeIfStill(path, mine) };
    }
    const held = await readLock(path);
    if (held === undefined) continue; // given up meanwhile
    const holder = parseOwner(held);
    if (holder && !isGone(holder, self)) {
      throw new JournalError(
        'locked',
        `jobs journal: ${dir} is in use by the balancer with pid ${holder.pid} on ${holder.host} (${path}); give each balancer a DATA_DIR of its own, or remove that file if that balancer is gone`,
      );
    }
    if (!(await takeOver(dir, path, held, self))) await delay(10);
  }
  // Here only when another start has held its claim on the stale lock all this while (50 tries 10 ms apart).
  throw new JournalError(
    'locked',
    `jobs journal: another balancer starting over ${dir} is taking its stale lock over and has not finished (${path}.claim.*); give each balancer a DATA_DIR of its own`,
  );
}

/** A process of this host, as a lock names it. */
export function processOwner(pid: number): LockOwner {
  return { pid, host: hostname(), boot: bootId(), started: startTime(pid) };
}

/** Links a whole lock file into place; false when one is there. */
async function place(path: string, content: string): Promise<boolean> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await io('create the lock', path, () => writeFile(temp, content, { mode: 0o600 }));
  try {
    await link(temp, path);
    return true;
  } catch (err) {
    if (errorCode(err) === 'EEXIST') return false;
    throw ioError('create the lock', path, err);
  } finally {
    await rm(temp, { force: true });
  }
}

/** The lock's content; undefined when there is none. Unreadable counts as held, not as stale. */
async function readLock(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    throw ioError('read the lock', path, err);
  }
}

/**
 * Removes a stale lock, if it is still the one judged stale. Only the start that holds the claim
 * on that lock's content may remove it, so a lock made meanwhile by another start is never
 * removed for a stale one. A lock's content names one process and is never written again once
 * removed, so a late claim finds it gone and does nothing. A claim left by a start that died is
 * taken over the same way as a lock. False when another start is taking it over: try again.
 */
async function takeOver(dir: string, path: string, stale: string, self: LockOwner): Promise<boolean> {
  const claim = join(dir, `jobs.lock.claim.${createHash('sha256').update(stale).digest('hex').slice(0, 16)}`);
  const mine = `${JSON.stringify(self)}\n`;
  if (!(await place(claim, mine))) {
    const claimant = await readLock(claim);
    const owner = claimant === undefined ? undefined : parseOwner(claimant);
    if (claimant !== undefined && (!owner || isGone(owner, self))) return takeOver(dir, claim, claimant, self);
    return false;
  }
  try {
    await removeIfStill(path, stale);
  } finally {
    await rm(claim, { force: true });
  }
  return true;
}

/** Removes `path` if it holds `content`: a lock given up, or a stale one under its claim. */
async function removeIfStill(path: string, content: string): Promise<void> {
  if ((await readLock(path).catch(() => undefined)) === content) await rm(path, { force: true }).catch(() => undefined);
}

/**
 * Removes what starts killed half way left behind: lock and claim files not yet linked into
 * place (named by their writer's pid), and claims whose claimant is gone. Tidying only: one it
 * cannot read or remove (another user's, say) stays, and the lock, taken already, is kept.
 */
async function clearLeftovers(dir: string, self: LockOwner): Promise<void> {
  for (const name of await readdir(dir).catch(() => [])) {
    const path = join(dir, name);
    const unlinked = /^jobs\.lock\.(?:.*\.)?(\d+)\.[0-9a-f]{8}$/.exec(name);
    try {
      if (unlinked) {
        if (!isRunning(Number(unlinked[1]))) await rm(path, { force: true });
      } else if (/^jobs\.lock\.claim\.[0-9a-f]+$/.test(name)) {
        const claimant = await readLock(path);
        const owner = claimant === undefined ? undefined : parseOwner(claimant);
        if (claimant !== undefined && (!owner || isGone(owner, self))) await takeOver(dir, path, claimant, self);
      }
    } catch {
      // Left as it is.
    }
  }
}

function isGone(holder: LockOwner, self: LockOwner): boolean {
  if (holder.host !== self.host) return false;
  // A lock written before the last boot: every process of that boot is gone.
  if (holder.boot !== undefined && self.boot !== undefined && holder.boot !== self.boot) return true;
  // This pid: this process (the directory opened twice), or one before it whose start time was another.
  if (holder.pid === self.pid) return holder.started !== self.started;
  if (!isRunning(holder.pid)) return true;
  // That pid runs: the holder, unless it started at another time (the pid was reused).
  const started = startTime(holder.pid);
  return holder.started !== undefined && started !== undefined && started !== holder.started;
}

/**
 * A lock file, or undefined for one that is not (a file of something else, or hand-made):
 * taken over like a gone owner's, since no balancer writes one like it.
 */
function parseOwner(text: string): LockOwner | undefined {
  try {
    const { pid, host, boot, started } = JSON.parse(text) as Partial<LockOwner>;
    if (!Number.isInteger(pid) || typeof host !== 'string') return undefined;
    return { pid: pid!, host, boot: typeof boot === 'string' ? boot : undefined, started: typeof started === 'number' ? started : undefined };
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid runs. A zombie (killed, not yet waited for by its parent) does not. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // It runs, as another user.
    return errorCode(err) === 'EPERM';
  }
  return processState(pid) !== 'Z';
}

function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** When a process started, in clock ticks after boot (field 22 of /proc/<pid>/stat); undefined without /proc. */
function startTime(pid: number): number | undefined {
  const started = Number(statFields(pid)?.[19]);
  return Number.isFinite(started) ? started : undefined;
}

/** A process's state letter (field 3 of /proc/<pid>/stat: `R`, `S`, `Z` for a zombie…); undefined without /proc. */
function processState(pid: number): string | undefined {
  return statFields(pid)?.[0];
}

/** The fields of /proc/<pid>/stat after the command name, from the state (field 3) on; undefined without /proc. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name, in parentheses, may hold spaces: fields are counted after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}
