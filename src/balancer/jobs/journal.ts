import { open, rm, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { jobsOf } from './journal-fold.js';
import { ensureDir, io, keepAside, readIfExists, syncDir } from './journal-fs.js';
import { lockDataDir } from './journal-lock.js';
import { replayJournal, type Replay } from './journal-replay.js';
import type { OpenedJournal, OpenJournalOptions } from './journal-types.js';
import { FileJournal, tempPathOf } from './journal-writer.js';

/*
 * The balancer's durable job store: an append-only journal of job events, one checksummed JSON
 * line each (the format is in journal-record.ts), fdatasync'd before an append resolves, and
 * folded back into jobs when the balancer starts. A journal file rather than SQLite because
 * better-sqlite3 is a native addon that cannot be built for every Node we run, and node:sqlite
 * does not exist on Node 20. The file grows with every event; the caller compacts it with
 * rewrite() (at start, dropping expired jobs, and when `bytes` passes a limit).
 *
 * One balancer owns a data directory: two processes appending to one journal would interleave
 * records the other does not know about. `<dir>/jobs.lock` keeps a second one out
 * (journal-lock.ts) until the first closes its journal.
 */

export type { JobRecord, Journal, JournalEvent, TaskRecord } from './journal-types.js';
export { JournalError } from './journal-error.js';

/**
 * Opens (or creates) `<dir>/jobs.journal` and replays it. A bad file never makes this throw:
 * what was wrong is said in `problems` and the store goes on from the records it can trust. A
 * torn last record, which a crash during an append leaves, is dropped and the file cut back to
 * the record before it. Any other bad record means damage or a bug; the file is kept aside as
 * `jobs.journal.corrupt-<time>` and the journal rewritten from the records before the bad one,
 * since those after it may depend on it. Throws a JournalError (`io_error`, naming the path)
 * only when the directory or file cannot be read or written.
 *
 * @example
 *   const { journal, jobs, problems } = await openJournal({ dir: config.dataDir });
 *   for (const problem of problems) logger.warn({ problem }, 'jobs journal repaired');
 */
export async function openJournal({ dir, now = Date.now }: OpenJournalOptions): Promise<OpenedJournal> {
  const path = join(dir, 'jobs.journal');
  await ensureDir(dir);
  const lock = await lockDataDir(dir);
  const { bytes, replay, handle } = await readAndOpen(path).catch(async (err: unknown) => {
    await lock.release();
    throw err;
  });
  const journal = new FileJournal(path, handle, replay.state, replay.goodBytes, () => lock.release());
  const jobs = jobsOf(replay.state);
  try {
    if (bytes === null) await syncDir(dir);
    const problems = await recover(path, replay, journal, jobs, now);
    return { journal, jobs, problems };
  } catch (err) {
    await journal.close().catch(() => undefined);
    throw err;
  }
}

/** Replays what the journal holds, and opens it for appends. */
async function readAndOpen(path: string): Promise<{ bytes: Buffer | null; replay: Replay; handle: FileHandle }> {
  // A rewrite that crashed before its rename leaves its temp file; the journal itself is whole.
  await io('remove', tempPathOf(path), () => rm(tempPathOf(path), { force: true }));
  const bytes = await readIfExists(path);
  const replay = replayJournal(bytes ?? Buffer.alloc(0));
  const handle = await io('open', path, () => open(path, 'a', 0o600));
  return { bytes, replay, handle };
}

/** Makes the file hold only the records the replay trusted; says what was wrong, for people. */
async function recover(path: string, replay: Replay, journal: FileJournal, jobs: OpenedJournal['jobs'], now: () => number): Promise<string[]> {
  const file = basename(path);
  const { torn, corrupt, records, goodBytes } = replay;
  if (corrupt !== null) {
    const aside = await keepAside(path, now());
    await journal.rewrite(jobs);
    const { line, reason, linesAfter } = corrupt;
    const dropped = linesAfter === 0 ? 'nothing followed it' : linesAfter === 1 ? 'the 1 line after it was dropped' : `the ${linesAfter} lines after it were dropped`;
    return [`${file} line ${line}: ${reason}. The file is kept as ${basename(aside)}; the journal goes on from the ${records} records before that line, and ${dropped}.`];
  }
  if (torn !== null) {
    await journal.truncate(goodBytes);
    return [`${file} line ${torn.line}: ${torn.reason}, as a crash during an append leaves it; it was dropped and the file cut back to its ${records} whole records.`];
  }
  return [];
}
