import type { ServerEntry } from '../workers/registry.js';
import type { FinishedTask, RunEnd, RunnerDeps, RunnerEvents } from './job-types.js';
import { remainingRanges, span, type Range } from './ranges.js';
import { countOnWorker } from './task-client.js';
import { MIN_TASK_SPAN, TaskSizer } from './task-sizer.js';

interface Attempt {
  server: ServerEntry;
  stop: AbortController;
  startedAt: number;
  backup: boolean;
}

interface RunningTask {
  range: Range;
  attempts: Set<Attempt>;
  /** Workers this task has been sent to: a backup goes elsewhere. */
  tried: Set<string>;
  startedAt: number;
  settled: boolean;
  overdueHandled: boolean;
}

/** A task not answered within this many times its expected time is run again elsewhere. */
const BACKUP_FACTOR = 3;
const NO_WORKERS_EXCLUDED: ReadonlySet<string> = new Set();

/**
 * Runs one job's tasks on the workers' spare capacity until its range is counted. Work not yet
 * handed out is a list of ranges (`todo`); each task is cut from its head, sized by TaskSizer,
 * and sent to the worker that admission's selection picks. A failed attempt puts its range back
 * at the head; an overdue one (a frozen worker) gets a backup attempt on another worker, as
 * MapReduce's backup tasks do: the first answer wins, the other is cancelled, and each range is
 * counted exactly once. `tick` runs a few times a second while the job runs.
 */
export class JobRunner {
  private readonly todo: Range[];
  private readonly running = new Set<RunningTask>();
  private readonly sizer: TaskSizer;
  /** Tasks answered whose record is being written. */
  private completing = 0;
  private state: 'running' | 'ended' = 'running';
  private stalledSince: number | undefined;
  /** When the first of the attempts that have failed since a task was last counted failed. */
  private failingSince: number | undefined;
  private lastSentAt = 0;
  private nextRequest = 0;

  constructor(
    private readonly id: string,
    whole: Range,
    done: readonly Range[],
    private readonly deps: RunnerDeps,
    private readonly events: RunnerEvents,
  ) {
    this.todo = remainingRanges(whole, done);
    this.sizer = new TaskSizer({ targetMs: deps.taskTargetMs, maxSpan: deps.maxTaskSpan, jobSpan: span(whole), longestMs: deps.taskTimeoutMs / 4 });
  }

  get isRunning(): boolean {
    return this.state === 'running';
  }

  /** Tasks on workers now. */
  get tasksRunning(): number {
    return this.running.size;
  }

  /** Numbers not handed out yet, and the span tasks are cut to now (for an estimate of tasks left). */
  get pending(): { numbers: bigint; span: bigint } {
    let numbers = 0n;
    for (const range of this.todo) numbers += span(range);
    return { numbers, span: this.sizer.peek(numbers, this.slots()) };
  }

  /** Hands out work while workers have spare slots: backups of overdue tasks first, then new tasks. */
  pump(): void {
    if (this.state !== 'running') return;
    for (const task of this.running) {
      if (!task.overdueHandled || task.attempts.size !== 1 || task.settled) continue;
      const server = this.deps.admission.acquireSpare(task.tried);
      if (!server) break;
      this.send(task, server, true);
    }
    while (this.todo.length > 0) {
      const server = this.deps.admission.acquireSpare(NO_WORKERS_EXCLUDED);
      if (!server) break;
      const range = this.cut();
      const task: RunningTask = { range, attempts: new Set(), tried: new Set(), startedAt: Date.now(), settled: false, overdueHandled: false };
      this.running.add(task);
      this.send(task, server, false);
    }
    this.finishIfDone();
  }

  /** Looks for overdue tasks, and for a job that has had no worker, or no counted task, for too long. */
  tick(): void {
    if (this.state !== 'running') return;
    const now = Date.now();
    for (const task of this.running) {
      if (task.overdueHandled || task.settled) continue;
      const expected = this.sizer.expectedMs(span(task.range)) ?? this.deps.taskTargetMs;
      const deadline = task.startedAt + Math.max(BACKUP_FACTOR * expected, 2 * this.deps.taskTargetMs);
      if (now < deadline) continue;
      task.overdueHandled = true;
      // Its worker may be frozen: ask its health check as a timed-out request would.
      for (const attempt of task.attempts) {
        this.deps.judgeWorker(attempt.server, { kind: 'timeout', message: `task ${task.range.from}-${task.range.to} overdue after ${now - task.startedAt} ms` }, true);
      }
      this.deps.logger.info({ job: this.id, from: String(task.range.from), to: String(task.range.to), afterMs: now - task.startedAt }, 'task overdue: running a backup');
    }
    // Sampled here, and reset by every task sent (send), so that workers in and out of rotation
    // between two ticks do not pass for none at all.
    const stalled = this.todo.length > 0 && this.running.size === 0 && this.deps.registry.countActive() === 0;
    if (!stalled) this.stalledSince = undefined;
    else if (this.stalledSince === undefined) this.stalledSince = now;
    else if (now - this.stalledSince >= this.deps.stallTimeoutMs) this.end({ status: 'failed', error: 'no_active_servers' });
    // Workers that are given tasks (they pass their health checks) yet fail every one: a broken
    // calculator, say. Not before TASK_TIMEOUT_MS either: a good worker's task may take that long.
    const failing = this.failingSince !== undefined && this.lastSentAt > this.failingSince;
    if (failing && now - this.failingSince! >= Math.max(this.deps.stallTimeoutMs, this.deps.taskTimeoutMs)) {
      this.end({ status: 'failed', error: 'tasks_failing' });
    }
    this.pump();
  }

  /** Stops every attempt in flight (the job was cancelled, or the balancer is closing). */
  stop(): void {
    this.state = 'ended';
    for (const task of this.running) for (const attempt of task.attempts) attempt.stop.abort();
  }

  private cut(): Range {
    let remaining = 0n;
    for (const range of this.todo) remaining += span(range);
    const size = this.sizer.next(remaining, this.slots());
    const head = this.todo[0]!;
    if (span(head) <= size) {
      this.todo.shift();
      return head;
    }
    const range = { from: head.from, to: head.from + size - 1n };
    head.from = range.to + 1n;
    return range;
  }

  /** Heavy slots of the active workers: how many tasks can run at once. */
  private slots(): number {
    let slots = 0;
    for (const server of this.deps.registry.servers) if (server.status === 'active') slots += server.limit;
    return slots;
  }

  private send(task: RunningTask, server: ServerEntry, backup: boolean): void {
    const attempt: Attempt = { server, stop: new AbortController(), startedAt: Date.now(), backup };
    this.lastSentAt = attempt.startedAt;
    this.stalledSince = undefined;
    task.attempts.add(attempt);
    task.tried.add(server.address);
    const requestId = `${this.id}.${(this.nextRequest += 1)}`;
    void countOnWorker(this.deps.upstream, server.address, task.range, { requestId, timeoutMs: this.deps.taskTimeoutMs, signal: attempt.stop.signal })
      .then(async (outcome) => {
        task.attempts.delete(attempt);
        let finished: FinishedTask | undefined;
        try {
          finished = this.settle(task, attempt, outcome);
        } finally {
          // After the job's state is up to date: giving the slot back runs pump() again.
          this.deps.admission.release(server, true);
        }
        if (finished) await this.record(finished);
        this.pump();
      })
      .catch((err: unknown) => {
        this.deps.logger.error({ err, job: this.id }, 'task bookkeeping failed');
        this.end({ status: 'failed', error: 'internal_error' });
      });
  }

  /** Applies an attempt's outcome to the task; returns the task to record if it is now done. */
  private settle(task: RunningTask, attempt: Attempt, outcome: Awaited<ReturnType<typeof countOnWorker>>): FinishedTask | undefined {
    if (task.settled || this.state !== 'running') return undefined;
    if (outcome.ok) {
      task.settled = true;
      this.failingSince = undefined;
      this.running.delete(task);
      for (const other of task.attempts) other.stop.abort();
      const wallMs = Date.now() - attempt.startedAt;
      this.sizer.record(span(task.range), outcome.elapsedMs, wallMs);
      this.completing += 1;
      return { ...outcome.counts, server: attempt.server.name, elapsedMs: outcome.elapsedMs, wallMs, backup: attempt.backup };
    }
    if (outcome.failure.kind === 'aborted') return undefined;
    this.failingSince ??= Date.now();
    // A 4xx is the worker's answer about this range (too wide for it), not a fault of the worker.
    if (!outcome.rejected) this.deps.judgeWorker(attempt.server, outcome.failure, true);
    // Another attempt at the same range is still running: it may yet answer.
    if (task.attempts.size > 0) return undefined;
    if (outcome.rejected) {
      if (span(task.range) <= MIN_TASK_SPAN) {
        this.end({ status: 'failed', error: 'task_rejected' });
        return undefined;
      }
      this.sizer.shrinkBelow(span(task.range));
    }
    this.running.delete(task);
    this.todo.unshift(task.range);
    this.events.retried(attempt.server.name, outcome.failure.message);
    return undefined;
  }

  private async record(task: FinishedTask): Promise<void> {
    try {
      await this.events.taskDone(task);
    } catch (err) {
      this.deps.logger.error({ err, job: this.id }, 'could not record a finished task');
      this.end({ status: 'failed', error: 'store_failed' });
      return;
    } finally {
      this.completing -= 1;
    }
    this.finishIfDone();
  }

  private finishIfDone(): void {
    if (this.state === 'running' && this.todo.length === 0 && this.running.size === 0 && this.completing === 0) this.end({ status: 'done' });
  }

  private end(end: RunEnd): void {
    if (this.state !== 'running') return;
    this.stop();
    this.events.ended(end);
  }
}
