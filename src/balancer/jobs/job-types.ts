import type { Logger } from '../../shared/logger.js';
import type { AdmissionQueue } from '../routing/admission.js';
import type { WorkerJudge } from '../routing/judge.js';
import type { UpstreamClient } from '../upstream/client.js';
import type { Registry } from '../workers/registry.js';
import type { JobMetrics } from './job-metrics.js';
import type { JobRecord, Journal } from './journal-types.js';
import type { TaskCounts } from './ranges.js';
import type { Retention } from './retention.js';

/* What the job manager and the job runner are given, and what a runner reports. */

export interface RunnerDeps {
  registry: Registry;
  admission: AdmissionQueue;
  upstream: UpstreamClient;
  judgeWorker: WorkerJudge;
  logger: Logger;
  /** The time a task should take on a worker (TASK_TARGET_MS). */
  taskTargetMs: number;
  /** The largest task a worker accepts. */
  maxTaskSpan: bigint;
  /** A task attempt not answered in this long has failed. */
  taskTimeoutMs: number;
  /** A job that could not run a task for this long, for want of any active worker, fails. */
  stallTimeoutMs: number;
}

/** A task counted by a worker, as the runner reports it. */
export interface FinishedTask extends TaskCounts {
  server: string;
  /** The worker's own time for it. */
  elapsedMs: number;
  /** From dispatch to answer. */
  wallMs: number;
  /** Whether the answer came from a backup attempt (the first one was overdue). */
  backup: boolean;
}

export type RunEnd = { status: 'done' } | { status: 'failed'; error: string };

export interface RunnerEvents {
  /** Records the task durably; the runner counts it as done once this resolves. */
  taskDone(task: FinishedTask): Promise<void>;
  /** A task's attempt failed and its range will run again. */
  retried(server: string, reason: string): void;
  ended(end: RunEnd): void;
}

export interface JobManagerOptions {
  journal: Journal;
  /** The jobs the journal held at start, in creation order. */
  recovered: readonly JobRecord[];
  runner: RunnerDeps;
  logger: Logger;
  metrics: JobMetrics;
  /** Jobs running at once; more wait in the queue. */
  maxRunning: number;
  /** Jobs waiting at once; one more is refused (503 too_many_jobs). */
  maxQueued: number;
  /** How long and how many finished jobs are kept for people to read. */
  retention: Retention;
}
