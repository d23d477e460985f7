import { randomUUID } from 'node:crypto';
import { JobRunner } from './job-runner.js';
import type { FinishedTask, JobManagerOptions, RunEnd } from './job-types.js';
import { refuseWhenFull, shuttingDown, unknownJob, type JobRequest } from './job-request.js';
import { addTask, foldTasks, tasksDone } from './job-totals.js';
import { JobStore } from './job-store.js';
import { JobWaiters } from './job-waiters.js';
import { expiredJobs, FINISHED } from './retention.js';
import { toTaskRecord } from './task-record.js';
import type { JobRecord, JobStatus } from './journal-types.js';

/** How often running jobs look for overdue tasks (ms). */
const TICK_MS = 100;

interface Live {
  record: JobRecord;
  runner: JobRunner | undefined;
  waiters: JobWaiters;
}

/**
 * The balancer's jobs: accepts them, queues them, runs up to `maxRunning` at once (JobRunner),
 * cancels them, and keeps finished ones for a bounded time and number. Every change is written
 * to the journal before it is reported, so that a balancer started again over the same
 * DATA_DIR resumes running jobs without counting their finished tasks again.
 */
export class JobManager {
  private readonly jobs = new Map<string, Live>();
  /** Queued and running jobs, in creation order. */
  private readonly unfinished = new Set<Live>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Jobs created whose record is on its way to the journal. */
  private creating = 0;
  private readonly store: JobStore;

  constructor(private readonly options: JobManagerOptions) {
    this.store = new JobStore(options.journal, options.logger, () => this.records());
    for (const record of options.recovered) this.add(record);
  }

  /** Resumes the jobs that were running or queued when the balancer stopped. */
  start(): void {
    // The compaction leaves the expired jobs out: no `removed` write, which would hold it off.
    this.expire(false);
    this.store.compact(0);
    for (const live of this.jobs.values()) {
      if (live.record.status === 'running') this.run(live, true);
    }
    this.pump();
  }

  get(id: string): JobRecord | undefined {
    return this.jobs.get(id)?.record;
  }

  /** Newest first. */
  list(): JobRecord[] {
    this.expire();
    return this.records().reverse();
  }

  /** Runner state for the job view: tasks on workers now, and an estimate of tasks still to cut. */
  progressOf(id: string): { running: number; pendingNumbers: bigint; pendingSpan: bigint } | undefined {
    const runner = this.jobs.get(id)?.runner;
    if (!runner?.isRunning) return undefined;
    const { numbers, span } = runner.pending;
    return { running: runner.tasksRunning, pendingNumbers: numbers, pendingSpan: span };
  }

  countByStatus(): Record<JobStatus, number> {
    const counts: Record<JobStatus, number> = { queued: 0, running: 0, done: 0, failed: 0, cancelled: 0 };
    for (const { record } of this.jobs.values()) counts[record.status] += 1;
    return counts;
  }

  async create(request: JobRequest): Promise<JobRecord> {
    this.expire();
    if (this.closed) throw shuttingDown();
    const counts = this.countByStatus();
    // A job whose record is on its way to the journal counts as waiting, for requests meanwhile.
    refuseWhenFull(counts.running + counts.queued + this.creating, this.options.maxRunning + this.options.maxQueued);
    const job = { id: randomUUID(), kind: request.kind, from: String(request.from), to: String(request.to), createdAt: Date.now() };
    this.creating += 1;
    await this.write({ type: 'created', job }).finally(() => (this.creating -= 1));
    const record: JobRecord = { ...job, status: 'queued', startedAt: null, finishedAt: null, error: null, tasks: [], retries: 0 };
    this.add(record);
    this.transition(record, 'queued');
    this.pump();
    return record;
  }

  /** Cancels a queued or running job; a finished one is returned as it is. */
  async cancel(id: string): Promise<JobRecord> {
    const live = this.jobs.get(id);
    if (!live) throw unknownJob(id);
    if (!FINISHED.has(live.record.status)) {
      // The journal is closed: a cancel it cannot record would be undone by the next start.
      if (this.closed) throw shuttingDown();
      live.runner?.stop();
      await this.finish(live, 'cancelled', null);
    }
    return live.record;
  }

  /** Resolves when the job ends, after `ms`, or when `signal` aborts; at once when closing, not to hold up the shutdown. */
  async waitForEnd(id: string, ms: number, signal: AbortSignal): Promise<void> {
    const live = this.jobs.get(id);
    if (live && !this.closed && !FINISHED.has(live.record.status)) await live.waiters.wait(ms, signal);
  }

  /** Starts queued jobs while fewer than maxRunning run, and lets running ones take spare slots. */
  pump(): void {
    // Called on every free slot nobody waits for (/is_prime too): one comparison with no job.
    if (this.closed || this.unfinished.size === 0) return;
    let running = 0;
    for (const live of this.unfinished) if (live.record.status === 'running') running += 1;
    for (const live of this.unfinished) {
      if (running >= this.options.maxRunning) break;
      if (live.record.status !== 'queued') continue;
      running += 1;
      this.run(live, false);
    }
    for (const live of this.unfinished) live.runner?.pump();
  }

  /** Stops the runners (their tasks are cancelled on the workers) and closes the journal. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    for (const live of this.jobs.values()) {
      live.runner?.stop();
      // A client waiting for the end gets the job as it is, so that the server can close.
      live.waiters.wakeAll();
    }
    await this.store.close();
  }

  private run(live: Live, resumed: boolean): void {
    const { record } = live;
    const whole = { from: BigInt(record.from), to: BigInt(record.to) };
    const done = record.tasks.map((t) => ({ from: BigInt(t.from), to: BigInt(t.to) }));
    live.runner = new JobRunner(record.id, whole, done, this.options.runner, {
      taskDone: (task) => this.taskDone(live, task),
      retried: (server, reason) => void this.retried(live, server, reason),
      ended: (end) => void this.ended(live, end),
    });
    if (resumed) {
      this.options.logger.info({ job: record.id, tasksDone: record.tasks.length }, `job ${record.id} resumes`);
    } else {
      record.status = 'running';
      record.startedAt = Date.now();
      // Written without waiting: a crash before it lands leaves a queued job, which starts again.
      void this.write({ type: 'started', id: record.id, at: record.startedAt }).catch((err: unknown) => this.storeFailed(live, err));
      this.transition(record, 'running');
    }
    this.timer ??= setInterval(() => this.tick(), TICK_MS);
  }

  private tick(): void {
    let anyRunning = false;
    for (const live of this.unfinished) {
      if (!live.runner?.isRunning) continue;
      anyRunning = true;
      live.runner.tick();
    }
    if (!anyRunning) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    this.expire();
    this.store.compact();
  }

  private records(): JobRecord[] {
    return [...this.jobs.values()].map((live) => live.record);
  }

  private async taskDone(live: Live, task: FinishedTask): Promise<void> {
    // Cancelled while the worker was answering: the journal takes nothing after the end.
    if (FINISHED.has(live.record.status)) return;
    const record = toTaskRecord(task);
    // In the turn its slot came back: a worker replaced then (registry.ts) is forgotten next turn.
    this.options.metrics.task(task.server, task.backup ? 'backup' : 'ok', task.wallMs / 1000);
    await this.write({ type: 'task', id: live.record.id, task: record });
    addTask(live.record, record);
  }

  private async retried(live: Live, server: string, reason: string): Promise<void> {
    if (FINISHED.has(live.record.status)) return;
    live.record.retries += 1;
    this.options.metrics.task(server, 'failed');
    this.options.logger.warn({ job: live.record.id, server, reason }, 'task failed; it runs again');
    await this.write({ type: 'retried', id: live.record.id }).catch((err: unknown) => this.storeFailed(live, err));
  }

  private async ended(live: Live, end: RunEnd): Promise<void> {
    await this.finish(live, end.status, end.status === 'failed' ? end.error : null);
    this.pump();
  }

  private async finish(live: Live, status: 'done' | 'failed' | 'cancelled', error: string | null): Promise<void> {
    const { record } = live;
    if (FINISHED.has(record.status)) return;
    record.status = status;
    record.error = error;
    record.finishedAt = Date.now();
    foldTasks(record);
    try {
      await this.write({ type: 'ended', id: record.id, status, at: record.finishedAt, error });
    } catch (err) {
      this.options.logger.error({ err, job: record.id }, 'could not record the end of a job');
    }
    if (record.startedAt !== null) this.options.metrics.jobDuration(status, (record.finishedAt - record.startedAt) / 1000);
    this.unfinished.delete(live);
    this.transition(record, status);
    live.waiters.wakeAll();
  }

  private add(record: JobRecord): void {
    const live: Live = { record, runner: undefined, waiters: new JobWaiters() };
    this.jobs.set(record.id, live);
    if (!FINISHED.has(record.status)) this.unfinished.add(live);
  }

  private storeFailed(live: Live, err: unknown): void {
    this.options.logger.error({ err, job: live.record.id }, 'could not write to the job journal');
    live.runner?.stop();
    void this.finish(live, 'failed', 'store_failed');
  }

  /** Forgets finished jobs past the retention time or count; `journal`: writes that they went. */
  private expire(journal = true): void {
    for (const { id } of expiredJobs(this.records(), Date.now(), this.options.retention)) {
      this.jobs.delete(id);
      if (!journal) continue;
      void this.write({ type: 'removed', id }).catch((err: unknown) => this.options.logger.error({ err, job: id }, 'could not record that a job expired'));
    }
  }

  private transition(record: JobRecord, status: JobStatus): void {
    this.options.metrics.jobStatus(status);
    const fields = { job: record.id, from: record.from, to: record.to, status, error: record.error ?? undefined, tasks: tasksDone(record), retries: record.retries };
    this.options.logger.info(fields, `job ${record.id} is ${status}`);
  }

  private write: JobStore['write'] = (event) => this.store.write(event);
}
