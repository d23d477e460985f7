import type { EndStatus, JobTotals, JournalEvent, NewJob, TaskRecord } from './journal-types.js';

/**
 * Checks that a value read from the journal (or handed to append) is a well-formed event, and
 * returns a copy holding only the known fields: a record that passed its checksum can still be
 * wrong if the code that wrote it was, and extra fields would otherwise be written and trusted.
 */
export function parseEvent(value: unknown): { event: JournalEvent } | { error: string } {
  try {
    return { event: readEvent(value) };
  } catch (err) {
    if (err instanceof Malformed) return { error: err.message };
    throw err;
  }
}

/** Orders canonical decimal strings (no leading zeros) without making bigints. */
export function compareDecimal(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

class Malformed extends Error {}

type Fields = Record<string, unknown>;

const DECIMAL = /^(?:0|[1-9][0-9]*)$/;
const END_STATUSES: readonly string[] = ['done', 'failed', 'cancelled'] satisfies EndStatus[];

function readEvent(value: unknown): JournalEvent {
  const e = object(value, 'event');
  const type = e.type;
  switch (type) {
    case 'created':
      return { type, job: readNewJob(object(e.job, 'job')) };
    case 'started':
      return { type, id: id(e.id), at: time(e.at, 'at') };
    case 'task':
      return { type, id: id(e.id), task: readTask(object(e.task, 'task')) };
    case 'retried':
    case 'removed':
      return { type, id: id(e.id) };
    case 'ended': {
      const status = e.status;
      if (typeof status !== 'string' || !END_STATUSES.includes(status)) throw new Malformed(`status ${show(status)} is not an end status`);
      const error = e.error === null ? null : text(e.error, 'error');
      const ended: JournalEvent = { type, id: id(e.id), status: status as EndStatus, at: time(e.at, 'at'), error };
      if (e.totals !== undefined) ended.totals = readTotals(object(e.totals, 'totals'), status);
      return ended;
    }
    default:
      throw new Malformed(`unknown event type ${show(type)}`);
  }
}

function readNewJob(j: Fields): NewJob {
  if (j.kind !== 'count_primes') throw new Malformed(`unknown job kind ${show(j.kind)}`);
  const { from, to } = range(j, 'job');
  return { id: id(j.id), kind: j.kind, from, to, createdAt: time(j.createdAt, 'createdAt') };
}

function readTask(t: Fields): TaskRecord {
  const { from, to } = range(t, 'task');
  const primes = decimal(t.primes, 'primes');
  const firstPrime = t.firstPrime === null ? null : decimal(t.firstPrime, 'firstPrime');
  const lastPrime = t.lastPrime === null ? null : decimal(t.lastPrime, 'lastPrime');
  // Twins are joined across task boundaries from these two: wrong ones would miscount silently.
  if ((primes === '0') !== (firstPrime === null) || (firstPrime === null) !== (lastPrime === null)) {
    throw new Malformed(`task ${from}..${to}: primes ${primes} disagrees with firstPrime ${show(firstPrime)} and lastPrime ${show(lastPrime)}`);
  }
  if (firstPrime !== null && lastPrime !== null) {
    if (compareDecimal(firstPrime, from) < 0 || compareDecimal(firstPrime, lastPrime) > 0 || compareDecimal(lastPrime, to) > 0) {
      throw new Malformed(`task ${from}..${to}: firstPrime ${firstPrime} and lastPrime ${lastPrime} are not in order inside the range`);
    }
  }
  const elapsedMs = t.elapsedMs;
  if (typeof elapsedMs !== 'number' || !Number.isFinite(elapsedMs) || elapsedMs < 0) throw new Malformed(`elapsedMs ${show(elapsedMs)} is not a duration`);
  return { from, to, primes, twins: decimal(t.twins, 'twins'), firstPrime, lastPrime, server: text(t.server, 'server'), elapsedMs };
}

function readTotals(t: Fields, status: string): JobTotals {
  const done = status === 'done';
  const tasks = count(t.tasks, 'tasks');
  const servers: Record<string, number> = {};
  for (const [server, n] of Object.entries(object(t.servers, 'servers'))) servers[server] = count(n, `tasks of ${show(server)}`);
  const primes = t.primes === null ? null : decimal(t.primes, 'primes');
  const twins = t.twins === null ? null : decimal(t.twins, 'twins');
  // A done job's result is read from these alone: they must be there, and only for it.
  if ((primes === null) === done || (twins === null) === done) throw new Malformed(`the totals of a ${status} job ${done ? 'lack' : 'hold'} a result`);
  return { tasks, servers, counted: decimal(t.counted, 'counted'), primes, twins };
}

function count(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new Malformed(`${what} ${show(value)} is not a count`);
  return value;
}

function range(r: Fields, what: string): { from: string; to: string } {
  const from = decimal(r.from, `${what} from`);
  const to = decimal(r.to, `${what} to`);
  if (compareDecimal(from, to) > 0) throw new Malformed(`${what} range ${from}..${to} is empty`);
  return { from, to };
}

function object(value: unknown, what: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Malformed(`${what} is not an object`);
  return value as Fields;
}

function id(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new Malformed(`id ${show(value)} is not a non-empty string`);
  return value;
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new Malformed(`${what} ${show(value)} is not a string`);
  return value;
}

function decimal(value: unknown, what: string): string {
  if (typeof value !== 'string' || !DECIMAL.test(value)) throw new Malformed(`${what} ${show(value)} is not a decimal number`);
  return value;
}

function time(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Malformed(`${what} ${show(value)} is not a time`);
  return value;
}

/** A value as a person reads it in a problem, cut short: a corrupt field can be megabytes. */
function show(value: unknown): string {
  if (typeof value === 'number') return String(value);
  let shown: string;
  try {
    shown = JSON.stringify(value) ?? String(value);
  } catch {
    shown = String(value);
  }
  return shown.length > 40 ? `${shown.slice(0, 40)}…` : shown;
}
