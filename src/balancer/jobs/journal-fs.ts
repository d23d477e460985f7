import { constants } from 'node:fs';
import { copyFile, link, mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { JournalError } from './journal-error.js';

// The file operations the journal needs to be durable, each failing with the path named.

/** Runs one file operation; a failure becomes a JournalError that says what and where. */
export async function io<T>(what: string, path: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw ioError(what, path, err);
  }
}

export function ioError(what: string, path: string, err: unknown): JournalError {
  const detail = err instanceof Error ? err.message : String(err);
  return new JournalError('io_error', `jobs journal: cannot ${what} ${path}: ${detail}`, { cause: err });
}

export function errorCode(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/**
 * Makes `dir` if missing. A new directory's own entry lives in its parent, so each parent that
 * gained one is synced: otherwise a crash could take the whole directory, synced journal and all.
 */
export async function ensureDir(dir: string): Promise<void> {
  const created = await io('create the directory', dir, () => mkdir(dir, { recursive: true, mode: 0o700 }));
  if (created === undefined) return;
  const first = resolve(created);
  for (let at = resolve(dir); dirname(at) !== at; at = dirname(at)) {
    await syncDir(dirname(at));
    if (at === first) break;
  }
}

/** fsync of a directory: makes a file's creation, rename or link in it survive a crash. */
export async function syncDir(dir: string): Promise<void> {
  await io('sync the directory', dir, async () => {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  });
}

/** The file's bytes, or null when there is no file yet. */
export async function readIfExists(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return null;
    throw ioError('read', path, err);
  }
}

/** Writes a new file and syncs it (data and size) before the caller renames it into place. */
export async function writeSynced(path: string, text: string): Promise<void> {
  const handle = await open(path, 'w', 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes every byte: one write may write fewer than asked. */
export async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  for (let done = 0; done < bytes.length; ) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done);
    done += bytesWritten;
  }
}

/**
 * Keeps the file's current contents under `<path>.corrupt-<time>` for people to inspect. A hard
 * link, so that the file's name is never missing (the caller then renames a fresh journal over
 * it: a crash in between leaves the corrupt file in place, to be handled again); a copy where
 * the filesystem has no links. Returns the name used.
 */
export async function keepAside(path: string, at: number): Promise<string> {
  const stamp = new Date(at).toISOString().replace(/:/g, '');
  for (let n = 0; ; n++) {
    const target = `${path}.corrupt-${stamp}${n === 0 ? '' : `-${n}`}`;
    try {
      await link(path, target).catch(async (err: unknown) => {
        if (errorCode(err) === 'EEXIST') throw err;
        await copyFile(path, target, constants.COPYFILE_EXCL);
      });
      return target;
    } catch (err) {
      if (errorCode(err) !== 'EEXIST') throw ioError('keep a copy of', path, err);
    }
  }
}
