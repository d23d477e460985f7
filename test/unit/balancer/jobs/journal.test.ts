import { createHash } from 'node:crypto';
import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeRecord } from '../../../../src/balancer/jobs/journal-record.js';
import { JournalError, openJournal, type JobRecord, type Journal, type JournalEvent, type TaskRecord } from '../../../../src/balancer/jobs/journal.js';

const created = (id: string, to = '999'): JournalEvent => ({ type: 'created', job: { id, kind: 'count_primes', from: '0', to, createdAt: 1_000 } });
const started = (id: string): JournalEvent => ({ type: 'started', id, at: 2_000 });
const task = (from: number, to: number): TaskRecord => ({ from: String(from), to: String(to), primes: '1', twins: '0', firstPrime: String(from), lastPrime: String(from), server: 'server1', elapsedMs: 12.5 });
const taskEvent = (id: string, from: number, to: number): JournalEvent => ({ type: 'task', id, task: task(from, to) });
const ended = (id: string, status: 'done' | 'failed' | 'cancelled', error: string | null = null): JournalEvent => ({ type: 'ended', id, status, at: 3_000, error });

/** A line with a correct checksum over any body, as a writer with a bug would write it. */
const checksummed = (json: string): string => `${createHash('sha256').update(json).digest('hex').slice(0, 16)} ${json}`;

function job(id: string, fields: Partial<JobRecord> = {}): JobRecord {
  return { id, kind: 'count_primes', from: '0', to: '999', status: 'queued', createdAt: 1_000, startedAt: null, finishedAt: null, error: null, tasks: [], retries: 0, ...fields };
}

describe('the jobs journal', () => {
  let dir: string;
  let path: string;
  const opened: Journal[] = [];
  const reopen = async (now = () => Date.UTC(2024, 4, 1, 12)) => {
    // As a balancer starts again: the one before has closed the journal.
    for (const journal of opened.splice(0)) await journal.close();
    const result = await openJournal({ dir, now });
    opened.push(result.journal);
    return result;
  };
  /** Writes events the way the balancer does, then closes, as a clean shutdown would. */
  const write = async (events: JournalEvent[]) => {
    const { journal } = await reopen();
    for (const event of events) await journal.append(event);
    await journal.close();
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'distcalc-journal-'));
    path = join(dir, 'jobs.journal');
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((j) => j.close().catch(() => undefined)));
    await rm(dir, { recursive: true, force: true });
  });

  it('when events are appended and the journal reopened, then the jobs replay as they were, in creation order', async () => {
    await write([
      created('a'), started('a'), taskEvent('a', 0, 499), { type: 'retried', id: 'a' }, taskEvent('a', 500, 999), ended('a', 'done'),
      created('b'),
      created('c'), ended('c', 'cancelled'), { type: 'removed', id: 'c' },
      created('d'), ended('d', 'failed', 'no active workers'),
    ]);
    const { jobs, problems } = await reopen();
    expect(problems).toEqual([]);
    expect(jobs).toEqual([
      // An ended job's tasks come back as their totals.
      job('a', { status: 'done', startedAt: 2_000, finishedAt: 3_000, totals: { tasks: 2, servers: { server1: 2 }, counted: '1000', primes: '2', twins: '0' }, retries: 1 }),
      job('b'),
      job('d', { status: 'failed', finishedAt: 3_000, error: 'no active workers', totals: { tasks: 0, servers: {}, counted: '0', primes: null, twins: null } }),
    ]);
  });

  it('when the balancer restarts mid-job, then the finished tasks come back and more can follow', async () => {
    await write([created('a'), started('a'), taskEvent('a', 500, 999), taskEvent('a', 0, 99)]);
    const first = await reopen();
    expect(first.jobs[0]).toMatchObject({ status: 'running', tasks: [task(500, 999), task(0, 99)] });
    await first.journal.append(taskEvent('a', 100, 499));
    await first.journal.close();
    const { jobs } = await reopen();
    expect(jobs[0]!.tasks.map((t) => t.from)).toEqual(['500', '0', '100']);
  });

  it('when the last record was half written, then it is reported, dropped and cut off, and appends after it survive a reopen', async () => {
    await write([created('a'), started('a')]);
    const whole = await readFile(path);
    await appendFile(path, encodeRecord(taskEvent('a', 0, 9)).slice(0, 40));
    const first = await reopen();
    expect(first.problems).toEqual([expect.stringMatching(/^jobs\.journal line 3: the last record is cut short \(40 bytes with no end of line\).*cut back to its 2 whole records/)]);
    expect(first.jobs[0]).toMatchObject({ status: 'running', tasks: [] });
    expect(await readFile(path)).toEqual(whole);
    await first.journal.append(taskEvent('a', 0, 9));
    await first.journal.close();
    const second = await reopen();
    expect(second.problems).toEqual([]);
    expect(second.jobs[0]!.tasks).toEqual([task(0, 9)]);
    expect((await readdir(dir)).sort()).toEqual(['jobs.journal', 'jobs.lock']);
  });

  it('when the last line fails its checksum, then it is treated as torn, not as corruption', async () => {
    await write([created('a')]);
    await appendFile(path, encodeRecord(started('a')).replace('2000', '2001'));
    const { jobs, problems } = await reopen();
    expect(problems).toEqual([expect.stringMatching(/line 2: the last record fails its checksum \(checksum mismatch\)/)]);
    expect(jobs).toEqual([job('a')]);
    expect((await readdir(dir)).sort()).toEqual(['jobs.journal', 'jobs.lock']);
  });

  it('when a record in the middle is corrupt, then it is reported by line, the file kept aside, and the journal goes on from the records before it', async () => {
    await write([created('a'), started('a'), created('b'), taskEvent('a', 0, 9), created('c')]);
    const original = await readFile(path);
    const lines = original.toString().split('\n');
    lines[2] = lines[2]!.replace('"b"', '"x"');
    await writeFile(path, lines.join('\n'));
    const damaged = await readFile(path);

    const first = await reopen();
    expect(first.problems).toEqual([
      'jobs.journal line 3: checksum mismatch. The file is kept as jobs.journal.corrupt-2024-05-01T120000.000Z; ' +
        'the journal goes on from the 2 records before that line, and the 2 lines after it were dropped.',
    ]);
    expect(first.jobs).toEqual([job('a', { status: 'running', startedAt: 2_000 })]);
    expect(await readFile(join(dir, 'jobs.journal.corrupt-2024-05-01T120000.000Z'))).toEqual(damaged);
    await first.journal.append(created('d'));
    await first.journal.close();

    const second = await reopen();
    expect(second.problems).toEqual([]);
    expect(second.jobs.map((j) => j.id)).toEqual(['a', 'd']);
  });

  it.each<[string, string, RegExp]>([
    ['the JSON does not parse', checksummed('{"type":'), /line 2: checksum matches but the JSON does not parse/],
    ['an event names an unknown job', encodeRecord(started('nobody')), /line 2: started event for unknown job nobody/],
    ['a task comes after the end', encodeRecord(ended('a', 'cancelled')) + encodeRecord(taskEvent('a', 0, 9)), /line 3: job a is cancelled: a task event cannot follow/],
    ['a task overlaps one already counted', encodeRecord(started('a')) + encodeRecord(taskEvent('a', 0, 9)) + encodeRecord(taskEvent('a', 5, 20)), /line 4: task 5\.\.20 of job a overlaps its task 0\.\.9/],
  ])('when %s, then replay reports it by line and keeps the records before it', async (_, bad, why) => {
    await writeFile(path, encodeRecord(created('a')) + bad + '\n' + encodeRecord(created('z')));
    const { jobs, problems } = await reopen(() => 0);
    expect(problems).toEqual([expect.stringMatching(why)]);
    expect(jobs.map((j) => j.id)).toEqual(['a']);
    expect((await readdir(dir)).sort()).toEqual(['jobs.journal', 'jobs.journal.corrupt-1970-01-01T000000.000Z', 'jobs.lock']);
  });

  it('when a corrupt file was already kept aside at the same time, then the next copy gets its own name', async () => {
    await writeFile(path, 'garbage\n' + encodeRecord(created('a')));
    await reopen(() => 0);
    await writeFile(path, 'garbage\n' + encodeRecord(created('a')));
    await reopen(() => 0);
    expect((await readdir(dir)).sort()).toEqual(['jobs.journal', 'jobs.journal.corrupt-1970-01-01T000000.000Z', 'jobs.journal.corrupt-1970-01-01T000000.000Z-1', 'jobs.lock']);
  });

  it('when a task overlaps one already counted, then append refuses it and writes nothing', async () => {
    const { journal } = await reopen();
    await journal.append(created('a'));
    await journal.append(started('a'));
    await journal.append(taskEvent('a', 0, 9));
    const before = await readFile(path);
    await expect(journal.append(taskEvent('a', 9, 19))).rejects.toMatchObject({ code: 'invalid_event', message: expect.stringMatching(/overlaps its task 0\.\.9/) });
    await expect(journal.append(taskEvent('a', 10, 1000))).rejects.toMatchObject({ message: expect.stringMatching(/outside job a's range/) });
    await expect(journal.append({ type: 'started', id: 'a', at: Number.NaN })).rejects.toBeInstanceOf(JournalError);
    await journal.append(taskEvent('a', 10, 19));
    expect((await readFile(path)).subarray(0, before.length)).toEqual(before);
    expect((await reopen()).jobs[0]!.tasks).toHaveLength(2);
  });

  it('when appends are issued together, then they are written, acknowledged and replayed in call order', async () => {
    const { journal } = await reopen();
    const acknowledged: number[] = [];
    const appends = [journal.append(created('a')), journal.append(started('a'))];
    for (let i = 0; i < 300; i++) appends.push(journal.append(taskEvent('a', i * 2, i * 2 + 1)).then(() => void acknowledged.push(i)));
    await Promise.all(appends);
    expect(acknowledged).toEqual([...Array(300).keys()]);
    expect(journal.bytes).toBe((await stat(path)).size);
    await journal.close();
    const { jobs } = await reopen();
    expect(jobs[0]!.tasks.map((t) => Number(t.from))).toEqual([...Array(300).keys()].map((i) => i * 2));
  });

  it('when the journal is closed with appends pending, then close waits for them and later calls are refused', async () => {
    const { journal } = await reopen();
    void journal.append(created('a'));
    void journal.append(started('a'));
    await journal.close();
    await expect(journal.append(created('b'))).rejects.toMatchObject({ code: 'closed' });
    expect((await reopen()).jobs).toEqual([job('a', { status: 'running', startedAt: 2_000 })]);
  });

  it('when the directory is missing, then it is made, private to the user', async () => {
    const data = join(dir, 'nested', 'data');
    const { journal } = await openJournal({ dir: data });
    opened.push(journal);
    await journal.append(created('a'));
    expect((await stat(data)).mode & 0o777).toBe(0o700);
    expect((await readdir(data)).sort()).toEqual(['jobs.journal', 'jobs.lock']);
  });

  it('when the directory cannot be made, then open throws an error that names the path', async () => {
    await writeFile(join(dir, 'not-a-dir'), '');
    const bad = join(dir, 'not-a-dir', 'data');
    await expect(openJournal({ dir: bad })).rejects.toMatchObject({ code: 'io_error', message: expect.stringContaining(bad) });
  });

  it('when the file is empty, then there are no jobs and no problems', async () => {
    await writeFile(path, '');
    expect(await reopen()).toMatchObject({ jobs: [], problems: [] });
  });
});
