import { readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { JournalError } from './journal-error.js';
import { errorCode, io, ioError } from './journal-fs.js';

export interface DirLock {
  /** Gives the directory up (the balancer closed its journal). */
  release(): Promise<void>;
}

interface Holder {
  pid: number;
  host: string;
}

/**
 * Makes this balancer the one owner of a data directory. Two balancers over one journal would
 * each replay and run the other's jobs, and the second one's compaction would leave the first
 * appending to a file that is no longer the journal: jobs it accepted would be gone at its next
 * start. `<dir>/jobs.lock` names the owner (pid and host) and is created only if absent.
 *
 * A lock whose owner is gone is taken over: one on this host whose process no longer runs (a
 * crash or SIGKILL), or one with this very pid (a restarted container runs as the same pid
 * on the same host name). A lock held from another host, or by a live process here, is a
 * `locked` JournalError that says who holds it.
 */
export async function lockDataDir(dir: string, { pid = process.pid, host = hostname() } = {}): Promise<DirLock> {
  const path = join(dir, 'jobs.lock');
  const owner = `${JSON.stringify({ pid, host } satisfies Holder)}\n`;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      await writeFile(path, owner, { flag: 'wx', mode: 0o600 });
      return { release: () => rm(path, { force: true }).catch(() => undefined) };
    } catch (err) {
      if (errorCode(err) !== 'EEXIST') throw ioError('create the lock', path, err);
    }
    const holder = await io('read the lock', path, () => readFile(path, 'utf8').then(parseHolder, () => undefined));
    if (holder && !(holder.host === host && (holder.pid === pid || !isRunning(holder.pid)))) {
      throw new JournalError(
        'locked',
        `jobs journal: ${dir} is in use by the balancer with pid ${holder.pid} on ${holder.host} (${path}); give each balancer a DATA_DIR of its own, or remove that file if that balancer is gone`,
      );
    }
    // Gone, or a lock file cut short by a crash: another start may be taking it over too, and
    // only one of the two creates it next.
    await io('remove the stale lock', path, () => rm(path, { force: true }));
  }
  throw new JournalError('locked', `jobs journal: another balancer took ${path} while this one started`);
}

function parseHolder(text: string): Holder | undefined {
  try {
    const { pid, host } = JSON.parse(text) as Partial<Holder>;
    return Number.isInteger(pid) && typeof host === 'string' ? { pid: pid!, host } : undefined;
  } catch {
    return undefined;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // It runs, as another user.
    return errorCode(err) === 'EPERM';
  }
}
