import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../../../src/balancer/jobs/journal-event.js';
import { applyEvent, createJobsState, jobsOf } from '../../../../src/balancer/jobs/journal-fold.js';
import { decodeRecord, encodeRecord } from '../../../../src/balancer/jobs/journal-record.js';
import { replayJournal } from '../../../../src/balancer/jobs/journal-replay.js';
import type { JournalEvent, TaskRecord } from '../../../../src/balancer/jobs/journal.js';

const created = (id: string, from = '0', to = '999'): JournalEvent => ({ type: 'created', job: { id, kind: 'count_primes', from, to, createdAt: 1 } });
const task = (from: number, to: number): TaskRecord => ({ from: String(from), to: String(to), primes: '1', twins: '0', firstPrime: String(from), lastPrime: String(from), server: 's1', elapsedMs: 3 });
const taskEvent = (from: number, to: number, id = 'j'): JournalEvent => ({ type: 'task', id, task: task(from, to) });
const started: JournalEvent = { type: 'started', id: 'j', at: 2 };
const TOTALS = { tasks: 2, servers: { s1: 2 }, counted: '1000', primes: '2', twins: '0' };

/** A record line with a correct checksum over any body, as a writer with a bug would write it. */
const line = (json: string): string => `${createHash('sha256').update(json).digest('hex').slice(0, 16)} ${json}\n`;

/** Applies events in order; returns the first refusal, or null. */
function fold(events: JournalEvent[]): string | null {
  const state = createJobsState();
  for (const event of events) {
    const why = applyEvent(state, event);
    if (why !== null) return why;
  }
  return null;
}

describe('applyEvent', () => {
  it.each<[string, JournalEvent[]]>([
    ['a job runs, retries and is done', [created('j'), started, taskEvent(0, 499), { type: 'retried', id: 'j' }, taskEvent(500, 999), { type: 'ended', id: 'j', status: 'done', at: 3, error: null }]],
    ['a queued job is cancelled', [created('j'), { type: 'ended', id: 'j', status: 'cancelled', at: 3, error: null }]],
    ['a queued job fails', [created('j'), { type: 'ended', id: 'j', status: 'failed', at: 3, error: 'no workers' }]],
    ['a job is removed and its id used again', [created('j'), { type: 'removed', id: 'j' }, created('j')]],
    ['tasks touch end to end in any order', [created('j'), started, taskEvent(10, 19), taskEvent(0, 9), taskEvent(20, 29), taskEvent(30, 30)]],
    ['a compacted journal ends a job with its totals', [created('j'), started, { type: 'ended', id: 'j', status: 'done', at: 3, error: null, totals: TOTALS }]],
  ])('when %s, then every event applies', (_, events) => {
    expect(fold(events)).toBeNull();
  });

  it.each<[string, JournalEvent[], RegExp]>([
    ['a job is created twice', [created('j'), created('j')], /created twice/],
    ['an event names an unknown job', [started], /started event for unknown job j/],
    ['a job starts twice', [created('j'), started, started], /is running: a started event cannot follow/],
    ['a task comes before the start', [created('j'), taskEvent(0, 9)], /is queued: a task event/],
    ['a task comes after the end', [created('j'), started, { type: 'ended', id: 'j', status: 'done', at: 3, error: null }, taskEvent(0, 9)], /is done: a task event/],
    ['a queued job is done', [created('j'), { type: 'ended', id: 'j', status: 'done', at: 3, error: null }], /is queued: a ended event cannot follow with done/],
    ['a retry comes after the end', [created('j'), started, { type: 'ended', id: 'j', status: 'failed', at: 3, error: 'x' }, { type: 'retried', id: 'j' }], /is failed/],
    ['a task repeats another', [created('j'), started, taskEvent(0, 9), taskEvent(0, 9)], /task 0\.\.9 of job j overlaps its task 0\.\.9/],
    ['a task overlaps the one before it', [created('j'), started, taskEvent(0, 9), taskEvent(9, 20)], /task 9\.\.20 of job j overlaps its task 0\.\.9/],
    ['a task overlaps the one after it', [created('j'), started, taskEvent(10, 19), taskEvent(0, 10)], /task 0\.\.10 of job j overlaps its task 10\.\.19/],
    ['a task holds another', [created('j'), started, taskEvent(10, 19), taskEvent(0, 50)], /overlaps its task 10\.\.19/],
    ['a task is outside the job', [created('j', '100', '200'), started, taskEvent(150, 201)], /outside job j's range 100\.\.200/],
    ['totals follow task events', [created('j'), started, taskEvent(0, 9), { type: 'ended', id: 'j', status: 'done', at: 3, error: null, totals: TOTALS }], /ends with totals after task events/],
  ])('when %s, then the event is refused and says why', (_, events, why) => {
    expect(fold(events)).toMatch(why);
  });

  it('when a job ends, then its tasks are folded into totals, and the journal state keeps none of them', () => {
    const state = createJobsState();
    for (const event of [created('j'), started, taskEvent(0, 499), taskEvent(500, 999), { type: 'ended', id: 'j', status: 'done', at: 3, error: null } as const]) {
      expect(applyEvent(state, event)).toBeNull();
    }
    expect(state.get('j')).toMatchObject({ job: { tasks: [], totals: TOTALS }, spans: [] });
  });

  it('when an event is refused, then the job is as before it', () => {
    const state = createJobsState();
    for (const event of [created('j'), started, taskEvent(0, 9)]) applyEvent(state, event);
    expect(applyEvent(state, taskEvent(5, 20))).not.toBeNull();
    expect(applyEvent(state, taskEvent(10, 20))).toBeNull();
    expect(jobsOf(state)[0]!.tasks.map((t) => t.from)).toEqual(['0', '10']);
  });
});

describe('parseEvent', () => {
  it.each<[string, unknown, RegExp]>([
    ['a number is not decimal', { type: 'task', id: 'j', task: { ...task(0, 9), primes: '01' } }, /primes "01" is not a decimal number/],
    ['a range runs backwards', { type: 'created', job: { id: 'j', kind: 'count_primes', from: '10', to: '9', createdAt: 1 } }, /job range 10\.\.9 is empty/],
    ['primes and firstPrime disagree', { type: 'task', id: 'j', task: { ...task(0, 9), primes: '0' } }, /primes 0 disagrees/],
    ['firstPrime is outside the task', { type: 'task', id: 'j', task: { ...task(10, 19), firstPrime: '7' } }, /not in order inside the range/],
    ['elapsedMs is not a number', { type: 'task', id: 'j', task: { ...task(0, 9), elapsedMs: null } }, /elapsedMs null/],
    ['the type is unknown', { type: 'paused', id: 'j' }, /unknown event type "paused"/],
    ['the end status is not one', { type: 'ended', id: 'j', status: 'running', at: 1, error: null }, /status "running" is not an end status/],
    ['the id is empty', { type: 'removed', id: '' }, /id "" is not a non-empty string/],
    ['it is not an object', [1, 2], /event is not an object/],
    ["a done job's totals lack its result", { type: 'ended', id: 'j', status: 'done', at: 1, error: null, totals: { ...TOTALS, twins: null } }, /the totals of a done job lack a result/],
    ["a failed job's totals hold a result", { type: 'ended', id: 'j', status: 'failed', at: 1, error: 'x', totals: TOTALS }, /the totals of a failed job hold a result/],
    ['a count of tasks is not one', { type: 'ended', id: 'j', status: 'done', at: 1, error: null, totals: { ...TOTALS, servers: { s1: -1 } } }, /tasks of "s1" -1 is not a count/],
  ])('when %s, then it is malformed', (_, value, why) => {
    expect(parseEvent(value)).toEqual({ error: expect.stringMatching(why) });
  });

  it('when a range crosses a power of ten, then it is ordered by value, not as text', () => {
    expect(parseEvent(created('j', '9', '10'))).toHaveProperty('event');
  });

  it('when an event has fields it does not know, then the copy leaves them out', () => {
    const parsed = parseEvent({ type: 'removed', id: 'j', secret: 'x' });
    expect(parsed).toEqual({ event: { type: 'removed', id: 'j' } });
  });
});

describe('the record format', () => {
  it('when an event is encoded, then the line is a checksum of the JSON, a space and the JSON', () => {
    const event: JournalEvent = { type: 'started', id: 'j1', at: 1714564800000 };
    expect(encodeRecord(event)).toBe('a0a59d25d47eea51 {"type":"started","id":"j1","at":1714564800000}\n');
    expect(decodeRecord(Buffer.from(encodeRecord(event).trimEnd()))).toEqual({ event });
  });

  it.each<[string, string, boolean]>([
    ['a byte of the JSON changed', encodeRecord(started).replace('"j"', '"k"'), true],
    ['the line is cut short', encodeRecord(started).slice(0, 30), true],
    ['the line is zeros', '\0'.repeat(40), true],
    ['the JSON is cut but checksummed', line('{"type":"start'), false],
    ['the event is malformed but checksummed', line('{"type":"started","id":"j"}'), false],
  ])('when %s, then decoding fails, and says whether the bytes are not the ones written', (_, text, integrity) => {
    expect(decodeRecord(Buffer.from(text.replace(/\n$/, '')))).toMatchObject({ integrity });
  });
});

describe('replayJournal', () => {
  const good = [created('j'), started, taskEvent(0, 9)].map(encodeRecord).join('');

  it('when the last record has no end of line, then it is torn and the good bytes end before it', () => {
    const replay = replayJournal(Buffer.from(good + encodeRecord(taskEvent(10, 19)).slice(0, 25)));
    expect(replay).toMatchObject({ records: 3, goodBytes: Buffer.byteLength(good), corrupt: null, torn: { line: 4 } });
  });

  it('when only the last line fails its checksum, then it is torn', () => {
    const replay = replayJournal(Buffer.from(good + '\0\0\0\0\n'));
    expect(replay).toMatchObject({ records: 3, goodBytes: Buffer.byteLength(good), corrupt: null, torn: { line: 4, reason: expect.stringMatching(/checksum/) } });
  });

  it('when a whole last record is impossible, then it is corrupt, not torn', () => {
    const replay = replayJournal(Buffer.from(good + encodeRecord(taskEvent(5, 19))));
    expect(replay).toMatchObject({ records: 3, torn: null, corrupt: { line: 4, reason: expect.stringMatching(/overlaps/), linesAfter: 0 } });
  });

  it('when a record in the middle is bad, then replay stops there and counts the lines after it', () => {
    const bytes = Buffer.from(encodeRecord(created('j')) + 'garbage\n' + good + 'half a rec');
    expect(replayJournal(bytes)).toMatchObject({ records: 1, torn: null, corrupt: { line: 2, linesAfter: 4 } });
    expect(jobsOf(replayJournal(bytes).state).map((j) => j.id)).toEqual(['j']);
  });
});
