/**
 * The job store's records and events. Numbers of the calculation are decimal strings (no leading
 * zeros) because they may pass 2^53 and JSON has no bigint.
 */

export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
export type EndStatus = Extract<JobStatus, 'done' | 'failed' | 'cancelled'>;
export type JobKind = 'count_primes';

/** One finished task: a sub-range's counts, enough to join twin pairs across task boundaries. */
export interface TaskRecord {
  from: string;
  to: string;
  primes: string;
  twins: string;
  /** The smallest prime in [from, to], or null when it holds none (then primes is "0"). */
  firstPrime: string | null;
  /** The largest prime in [from, to], or null when it holds none. */
  lastPrime: string | null;
  server: string;
  elapsedMs: number;
}

/**
 * What is kept of a job's tasks once it has ended (job-totals.ts): the tasks themselves are
 * dropped, so that a finished job costs the same whatever its size.
 */
export interface JobTotals {
  tasks: number;
  /** Tasks counted by each worker. */
  servers: Record<string, number>;
  /** How many numbers of the range the tasks counted. */
  counted: string;
  /** The whole range's counts: set when the job is done, null otherwise. */
  primes: string | null;
  twins: string | null;
}

export interface JobRecord {
  id: string;
  kind: JobKind;
  from: string;
  to: string;
  status: JobStatus;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  error: string | null;
  /** Done tasks, in completion order; their ranges never overlap. Empty once the job has ended. */
  tasks: TaskRecord[];
  /** Set when the job ends, from its tasks. */
  totals?: JobTotals;
  /** Task attempts that failed and were run again. */
  retries: number;
}

/** What a `created` event carries: the rest of a JobRecord starts empty. */
export type NewJob = Pick<JobRecord, 'id' | 'kind' | 'from' | 'to' | 'createdAt'>;

/**
 * One change to one job. A job's events come in this order: `created`; `started` once; then
 * `task` and `retried` while it runs; `ended` once (from queued only as failed or cancelled);
 * `removed` at any point, after which the id is unknown. `ended` folds the job's tasks into
 * their totals; a compacted journal carries the totals in it, and no task events before it.
 */
export type JournalEvent =
  | { type: 'created'; job: NewJob }
  | { type: 'started'; id: string; at: number }
  | { type: 'task'; id: string; task: TaskRecord }
  | { type: 'retried'; id: string }
  | { type: 'ended'; id: string; status: EndStatus; at: number; error: string | null; totals?: JobTotals }
  | { type: 'removed'; id: string };

export interface Journal {
  /**
   * Appends one event durably: resolves after the bytes are written and fdatasync'd. Appends are
   * serialised in call order; those issued while a sync runs are written and synced together.
   * Rejects with JournalError `invalid_event`, writing nothing, when the event is malformed or
   * cannot follow the job's earlier events (replay would otherwise drop it and all after it);
   * with `io_error` when the write or sync failed, after which every append rejects until a
   * rewrite succeeds, because the file's tail is then unknown.
   */
  append(event: JournalEvent): Promise<void>;
  /**
   * Replaces the file with exactly these jobs (compaction), atomically: temp file, fsync, rename,
   * fsync of the directory. Ordered with the appends around it. Rejects with `invalid_event`,
   * changing nothing, when a job's fields contradict each other.
   */
  rewrite(jobs: readonly JobRecord[]): Promise<void>;
  /** Bytes in the file once every pending append is written: the signal to compact. */
  readonly bytes: number;
  /** Waits for pending appends and rewrites, then closes the file. */
  close(): Promise<void>;
}

export interface OpenedJournal {
  journal: Journal;
  /** The replayed jobs, in creation order. The caller owns these objects. */
  jobs: JobRecord[];
  /** What was wrong with the file and what was done about it, for people (a log line each). */
  problems: string[];
}

export interface OpenJournalOptions {
  /** The balancer's DATA_DIR; created (mode 0700) when missing. */
  dir: string;
  /** Names the copy a corrupt file is kept under. */
  now?: () => number;
}
