import { describe, expect, it } from 'vitest';
import { JobStore } from '../../../../src/balancer/jobs/job-store.js';
import { JournalError } from '../../../../src/balancer/jobs/journal-error.js';
import type { JobRecord, Journal, JournalEvent } from '../../../../src/balancer/jobs/journal-types.js';
import { silentLogger } from '../../../support/logger.js';

/** A journal in memory that fails as the file journal does: a failed append, then none until a rewrite. */
function flakyJournal() {
  const file: string[] = [];
  let failed = false;
  let diskFull = false;
  const journal: Journal & { file: string[]; fill(full: boolean): void } = {
    file,
    fill: (full) => (diskFull = full),
    get bytes() {
      return file.length;
    },
    async append(event: JournalEvent) {
      if (failed || diskFull) {
        failed = true;
        throw new JournalError('io_error', 'jobs journal: append to jobs.journal failed: ENOSPC');
      }
      file.push(event.type);
    },
    async rewrite(jobs: readonly JobRecord[]) {
      if (diskFull) throw new JournalError('io_error', 'jobs journal: rewrite jobs.journal failed: ENOSPC');
      file.splice(0, file.length, ...jobs.map((job) => `snapshot ${job.id}`));
      failed = false;
    },
    async close() {},
  };
  return journal;
}

const created = (id: string): JournalEvent => ({ type: 'created', job: { id, kind: 'count_primes', from: '0', to: '9', createdAt: 0 } });

describe('job store', () => {
  it('when a write fails on a full disk, then it is 503 store_unavailable, and once there is room the next write rewrites the journal from memory first', async () => {
    const journal = flakyJournal();
    const inMemory = [{ id: 'a' }, { id: 'b' }] as JobRecord[];
    const store = new JobStore(journal, silentLogger, () => inMemory);
    await store.write(created('a'));
    journal.fill(true);
    await expect(store.write(created('b'))).rejects.toMatchObject({ status: 503, code: 'store_unavailable', headers: { 'Retry-After': '30' } });
    // Still full: the rewrite fails too, and says so the same way.
    await expect(store.write(created('b'))).rejects.toMatchObject({ status: 503, code: 'store_unavailable' });
    journal.fill(false);
    await store.write(created('c'));
    expect(journal.file).toEqual(['snapshot a', 'snapshot b', 'created']);
  });

  it('when several writes come after a failure, then they share one rewrite and land after it in order', async () => {
    const journal = flakyJournal();
    let rewrites = 0;
    const rewrite = journal.rewrite.bind(journal);
    journal.rewrite = async (jobs) => {
      rewrites += 1;
      await rewrite(jobs);
    };
    const store = new JobStore(journal, silentLogger, () => [{ id: 'a' }] as JobRecord[]);
    journal.fill(true);
    await expect(store.write(created('a'))).rejects.toMatchObject({ code: 'store_unavailable' });
    journal.fill(false);
    await Promise.all([store.write({ type: 'retried', id: 'a' }), store.write({ type: 'removed', id: 'a' })]);
    expect(rewrites).toBe(1);
    expect(journal.file).toEqual(['snapshot a', 'retried', 'removed']);
  });
});
