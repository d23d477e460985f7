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

  it('when the jobs kept alone fill more than the compaction size, then the journal is rewritten again only once it has doubled, not on every tick', async () => {
    let bytes = 0;
    let rewrites = 0;
    const journal: Journal = {
      get bytes() {
        return bytes;
      },
      async append() {
        bytes += 100;
      },
      async rewrite() {
        rewrites += 1;
        // The jobs kept: 1,000 bytes, more than the 500 after which the test compacts.
        bytes = 1000;
      },
      async close() {},
    };
    const store = new JobStore(journal, silentLogger, () => []);
    await store.write(created('a'));
    bytes = 600;
    const tick = async () => {
      store.compact(500);
      await new Promise((resolve) => setImmediate(resolve));
    };
    await tick();
    expect(rewrites).toBe(1);
    for (let i = 0; i < 10; i += 1) await tick();
    expect(rewrites).toBe(1);
    // Appended up to twice what the rewrite left: the next tick compacts.
    for (let i = 0; i < 10; i += 1) await store.write(created(`b${i}`));
    await tick();
    expect(rewrites).toBe(1);
    await store.write(created('c'));
    await tick();
    expect(rewrites).toBe(2);
  });
});
