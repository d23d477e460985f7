import type { Logger } from '../../shared/logger.js';
import type { JobRecord, Journal, JournalEvent } from './journal-types.js';

/** The journal is rewritten with only the jobs kept once it grows past this. */
export const COMPACT_AFTER_BYTES = 4 * 1024 * 1024;

/**
 * The job manager's side of the journal: writes events, and compacts the file when it has
 * grown — only while no write is on its way, so that the jobs in memory match the file and the
 * writes issued later follow the rewrite.
 */
export class JobStore {
  private writing = 0;
  private compacting = false;

  constructor(
    private readonly journal: Journal,
    private readonly logger: Logger,
  ) {}

  async write(event: JournalEvent): Promise<void> {
    this.writing += 1;
    try {
      await this.journal.append(event);
    } finally {
      this.writing -= 1;
    }
  }

  /** Rewrites the journal to hold exactly `jobs` once it holds more than `afterBytes`. */
  compact(jobs: () => JobRecord[], afterBytes = COMPACT_AFTER_BYTES): void {
    if (this.compacting || this.writing > 0 || this.journal.bytes <= afterBytes) return;
    this.compacting = true;
    this.journal
      .rewrite(jobs())
      .catch((err: unknown) => this.logger.error({ err }, 'could not compact the job journal'))
      .finally(() => (this.compacting = false));
  }

  close(): Promise<void> {
    return this.journal.close();
  }
}
