/** Smallest task: below this a task's round trip costs more than its sieve. */
export const MIN_TASK_SPAN = 1_000_000n;
/** The first task's span, before any speed has been measured: well under a second anywhere. */
const FIRST_TASK_SPAN = 10_000_000n;
/** A learned span grows at most this much from one task to the next (a first fast task can mislead). */
const MAX_GROWTH = 4n;
/**
 * Most tasks a job is cut into, unless MAX_TASK_SPAN asks for more: every task is kept in memory
 * and in the journal (about 400 bytes) while the job is kept, and at the target time a job near
 * 10^15 would be millions of them.
 */
export const MAX_TASKS_PER_JOB = 50_000n;
/** Weight of the newest task in the moving averages. */
const ALPHA = 0.3;

export interface TaskSizerOptions {
  /** The time a task should take on a worker. */
  targetMs: number;
  /** The largest span a worker accepts (its MAX_TASK_SPAN). */
  maxSpan: bigint;
  /** The numbers of the whole job: tasks are at least a MAX_TASKS_PER_JOB-th of it… */
  jobSpan: bigint;
  /** …unless that would take a worker longer than this (well within TASK_TIMEOUT_MS). */
  longestMs: number;
}

/**
 * Sizes a job's tasks from measured speed so that each takes about `targetMs` on a worker: short
 * enough that a lost task costs little and a new worker soon gets work, long enough that the
 * round trip is a small part of it. It also learns how long a task of a given span takes from
 * dispatch to answer, which sets the deadline after which a task is run again elsewhere.
 */
export class TaskSizer {
  /** Worker time per number (ms), from the workers' own `elapsed_ms`. */
  private computeMsPerNumber: number | undefined;
  /** Dispatch-to-answer time per number (ms), queueing and network included. */
  private wallMsPerNumber: number | undefined;
  private lastSpan = FIRST_TASK_SPAN;
  private maxSpan: bigint;
  private readonly floorSpan: bigint;

  constructor(private readonly options: TaskSizerOptions) {
    this.maxSpan = options.maxSpan;
    this.floorSpan = options.jobSpan / MAX_TASKS_PER_JOB;
  }

  /**
   * The span of the next task, given the numbers left and the tasks that can run at once: near
   * the end tasks shrink, so that the workers finish together instead of one finishing alone.
   */
  next(remaining: bigint, slots: number): bigint {
    const span = this.peek(remaining, slots);
    this.lastSpan = span;
    return span;
  }

  /** What `next` would answer, without moving the sizer on (for estimates). */
  peek(remaining: bigint, slots: number): bigint {
    let span = this.computeMsPerNumber === undefined ? FIRST_TASK_SPAN : BigInt(Math.max(1, Math.round(this.options.targetMs / this.computeMsPerNumber)));
    // Longer tasks than the target for a job that would otherwise be too many, reached as a
    // learned span is: by growing from the first task's.
    if (this.computeMsPerNumber !== undefined && span < this.floorSpan) {
      const longest = BigInt(Math.max(1, Math.round(this.options.longestMs / this.computeMsPerNumber)));
      const floor = this.floorSpan < longest ? this.floorSpan : longest;
      if (span < floor) span = floor;
    }
    if (span > this.lastSpan * MAX_GROWTH) span = this.lastSpan * MAX_GROWTH;
    const share = remaining / BigInt(Math.max(1, slots));
    if (share < span) span = share;
    if (span < MIN_TASK_SPAN) span = MIN_TASK_SPAN;
    if (span > this.maxSpan) span = this.maxSpan;
    if (span > remaining) span = remaining;
    return span;
  }

  /** A task of `span` numbers took the worker `computeMs`, and `wallMs` from dispatch to answer. */
  record(span: bigint, computeMs: number, wallMs: number): void {
    const numbers = Number(span);
    this.computeMsPerNumber = average(this.computeMsPerNumber, Math.max(computeMs, 0.01) / numbers);
    this.wallMsPerNumber = average(this.wallMsPerNumber, Math.max(wallMs, 0.01) / numbers);
  }

  /** A worker refused a task this big: stay below it from now on. */
  shrinkBelow(span: bigint): void {
    this.maxSpan = span / 2n > MIN_TASK_SPAN ? span / 2n : MIN_TASK_SPAN;
  }

  /** How long a task of `span` numbers is expected to take from dispatch to answer (ms), once known. */
  expectedMs(span: bigint): number | undefined {
    return this.wallMsPerNumber === undefined ? undefined : this.wallMsPerNumber * Number(span);
  }
}

function average(current: number | undefined, sample: number): number {
  return current === undefined ? sample : current * (1 - ALPHA) + sample * ALPHA;
}
