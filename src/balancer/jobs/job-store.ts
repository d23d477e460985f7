import { HttpError } from '../../shared/http-error.js';
import type { Logger } from '../../shared/logger.js';
import { JournalError } from './journal-error.js';
import type { JobRecord, Journal, JournalEvent } from './journal-types.js';

/**
 * The journal is rewritten with only the jobs kept once it grows past this, and past twice what
 * the last rewrite left: jobs kept that hold more than this alone (many tasks) are not rewritten
 * again on every tick, and the bytes rewritten stay at most twice the bytes appended.
 */
const COMPACT_AFTER_BYTES = 4 * 1024 * 1024;

/**
 * The job manager's side of the journal: writes events, and rewrites the file from the jobs in
 * memory (`jobs`) when it has grown, or after a write failed. A failed write (a full disk, say)
 * leaves the file unknown, and the journal takes no append until it is rewritten: the next write
 * rewrites it first, so the store comes back once the disk does. A write that cannot be made is
 * `503 store_unavailable` for a client.
 */
export class JobStore {
  private writing = 0;
  private rewriting: Promise<void> | undefined;
  private broken = false;
  /** The journal's size after the last rewrite. */
  private rewritten = 0;

  constructor(
    private readonly journal: Journal,
    private readonly logger: Logger,
    private readonly jobs: () => JobRecord[],
  ) {}

  async write(event: JournalEvent): Promise<void> {
    this.writing += 1;
    try {
      // Appends still on their way are refused (the journal failed before them), not lost:
      // what the jobs in memory hold goes into the rewrite.
      if (this.broken) await this.rewrite('the job journal is rewritten after a failed write');
      await this.journal.append(event);
    } catch (err) {
      if (!(err instanceof JournalError && err.code === 'io_error')) throw err;
      if (!this.broken) this.logger.error({ err }, 'could not write the job journal: no job is taken until it can be rewritten');
      this.broken = true;
      throw new HttpError(503, 'store_unavailable', 'the job journal cannot be written now (the balancer log says why); try again later', { 'Retry-After': '30' }, { cause: err });
    } finally {
      this.writing -= 1;
    }
  }

  /**
   * Rewrites the journal to hold exactly the jobs once it holds more than `afterBytes` and more
   * than twice what the last rewrite left: only
   * while no write is on its way, so that the jobs in memory match the file and the writes
   * issued later follow the rewrite.
   */
  compact(afterBytes = COMPACT_AFTER_BYTES): void {
    if (this.rewriting || this.broken || this.writing > 0 || this.journal.bytes <= Math.max(afterBytes, 2 * this.rewritten)) return;
    this.rewrite('the job journal is compacted').catch((err: unknown) => this.logger.error({ err }, 'could not compact the job journal'));
  }

  close(): Promise<void> {
    return this.journal.close();
  }

  /** One rewrite at a time; writes that need it meanwhile share it. */
  private rewrite(why: string): Promise<void> {
    if (this.rewriting) return this.rewriting;
    const written = this.journal.rewrite(this.jobs());
    // The size of the rewritten file alone, before appends issued after it are counted.
    const bytes = this.journal.bytes;
    this.rewriting = written
      .then(() => {
        this.broken = false;
        this.rewritten = bytes;
        this.logger.info({ bytes }, why);
      })
      .finally(() => (this.rewriting = undefined));
    return this.rewriting;
  }
}
