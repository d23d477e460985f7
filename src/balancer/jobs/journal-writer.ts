import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { JournalError } from './journal-error.js';
import { parseEvent } from './journal-event.js';
import { applyEvent, createJobsState, eventsOf, type JobsState } from './journal-fold.js';
import { io, ioError, syncDir, writeAll, writeSynced } from './journal-fs.js';
import { encodeRecord } from './journal-record.js';
import type { JobRecord, Journal, JournalEvent } from './journal-types.js';

interface Settle {
  resolve(): void;
  reject(err: Error): void;
}

type AppendOp = { kind: 'append'; record: string } & Settle;
type RewriteOp = { kind: 'rewrite'; text: string } & Settle;
type Op = AppendOp | RewriteOp;

/** Where a rewrite writes before renaming over the journal; a leftover one is a crashed rewrite. */
export function tempPathOf(path: string): string {
  return `${path}.tmp`;
}

/**
 * The open journal. Each call is checked and folded into `state` when it is made, so the order
 * of calls is the order of checks; the file operations then run one at a time from `queue` in
 * the same order, appends that queued up together written and synced as one (group commit).
 */
export class FileJournal implements Journal {
  private readonly queue: Op[] = [];
  private running = false;
  private drained: Promise<void> = Promise.resolve();
  private closing: Promise<void> | null = null;
  /** Set when a write or sync failed: what is on disk after it is unknown until a rewrite. */
  private failure: JournalError | null = null;
  private written: number;

  constructor(
    private readonly path: string,
    private handle: FileHandle,
    private state: JobsState,
    bytes: number,
    /** Gives up what the journal held besides its file (the data directory's lock). */
    private readonly release: () => Promise<void> = async () => {},
  ) {
    this.written = bytes;
  }

  get bytes(): number {
    return this.written;
  }

  append(event: JournalEvent): Promise<void> {
    if (this.closing !== null) return Promise.reject(this.closedError());
    const parsed = parseEvent(event);
    const why = 'error' in parsed ? parsed.error : applyEvent(this.state, parsed.event);
    if ('error' in parsed || why !== null) return Promise.reject(new JournalError('invalid_event', `jobs journal: refused the ${String(event.type)} event: ${why}`));
    const record = encodeRecord(parsed.event);
    this.written += Buffer.byteLength(record);
    return this.enqueue((settle) => ({ kind: 'append', record, ...settle }));
  }

  rewrite(jobs: readonly JobRecord[]): Promise<void> {
    if (this.closing !== null) return Promise.reject(this.closedError());
    const snapshot = snapshotOf(jobs);
    if ('error' in snapshot) return Promise.reject(new JournalError('invalid_event', `jobs journal: refused a rewrite: ${snapshot.error}`));
    this.state = snapshot.state;
    this.written = Buffer.byteLength(snapshot.text);
    return this.enqueue((settle) => ({ kind: 'rewrite', text: snapshot.text, ...settle }));
  }

  close(): Promise<void> {
    this.closing ??= this.drained.then(() => this.handle.close()).finally(this.release);
    return this.closing;
  }

  /** Cuts a torn last record off the file; called by openJournal before anything is appended. */
  async truncate(bytes: number): Promise<void> {
    await io('cut back', this.path, async () => {
      await this.handle.truncate(bytes);
      await this.handle.datasync();
    });
    this.written = bytes;
  }

  private enqueue(op: (settle: Settle) => Op): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push(op({ resolve, reject }));
      if (!this.running) {
        this.running = true;
        this.drained = this.drain();
      }
    });
  }

  /** Never rejects: each operation settles its own callers. */
  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (head.kind === 'rewrite') {
        this.queue.shift();
        await this.runRewrite(head);
        continue;
      }
      const batch: AppendOp[] = [];
      for (const op of this.queue) {
        if (op.kind !== 'append') break;
        batch.push(op);
      }
      this.queue.splice(0, batch.length);
      await this.runAppends(batch);
    }
    // Set in the same turn as the empty check, so an op queued from now on starts a new drain.
    this.running = false;
  }

  private async runAppends(batch: AppendOp[]): Promise<void> {
    if (this.failure !== null) {
      const { message } = this.failure;
      const refused = new JournalError('io_error', `${message}; no append is taken until a rewrite succeeds`, { cause: this.failure });
      for (const op of batch) op.reject(refused);
      return;
    }
    try {
      await writeAll(this.handle, Buffer.from(batch.map((op) => op.record).join(''), 'utf8'));
      await this.handle.datasync();
    } catch (err) {
      this.failure = ioError('append to', this.path, err);
      for (const op of batch) op.reject(this.failure);
      return;
    }
    for (const op of batch) op.resolve();
  }

  private async runRewrite(op: RewriteOp): Promise<void> {
    const temp = tempPathOf(this.path);
    try {
      await writeSynced(temp, op.text);
      await rename(temp, this.path);
      await syncDir(dirname(this.path));
      const previous = this.handle;
      this.handle = await open(this.path, 'a', 0o600);
      // Only the unlinked old file is behind it; a failure to close it loses nothing.
      await previous.close().catch(() => undefined);
    } catch (err) {
      await rm(temp, { force: true }).catch(() => undefined);
      this.failure = err instanceof JournalError ? err : ioError('rewrite', this.path, err);
      op.reject(this.failure);
      return;
    }
    this.failure = null;
    op.resolve();
  }

  private closedError(): JournalError {
    return new JournalError('closed', `jobs journal: ${this.path} is closed`);
  }
}

/**
 * The state and file text that hold exactly `jobs`, built through the same checks as appends
 * so that a rewritten journal always replays, and replays to these jobs.
 */
function snapshotOf(jobs: readonly JobRecord[]): { state: JobsState; text: string } | { error: string } {
  const state = createJobsState();
  const records: string[] = [];
  for (const job of jobs) {
    for (const event of eventsOf(job)) {
      const parsed = parseEvent(event);
      const why = 'error' in parsed ? parsed.error : applyEvent(state, parsed.event);
      if ('error' in parsed || why !== null) return { error: `job ${String(job.id)}: ${why}` };
      records.push(encodeRecord(parsed.event));
    }
    const rebuilt = state.get(job.id)!.job;
    const differs = (['status', 'startedAt', 'finishedAt', 'error', 'retries'] as const).filter((key) => rebuilt[key] !== job[key]);
    if (differs.length > 0) {
      return { error: `job ${job.id}: its ${differs.join(', ')} cannot go with the rest (status ${job.status}, startedAt ${job.startedAt}, finishedAt ${job.finishedAt})` };
    }
  }
  return { state, text: records.join('') };
}
