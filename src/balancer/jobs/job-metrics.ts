import { Counter, Gauge, Histogram, type Registry as MetricsRegistry } from 'prom-client';
import type { JobStatus } from './journal-types.js';

export interface JobMetrics {
  /** A job reached a status. */
  jobStatus(status: JobStatus): void;
  /** A job ended after `seconds` from its start. */
  jobDuration(status: JobStatus, seconds: number): void;
  /** A task attempt ended: `ok`, `failed`, or `backup` (a backup attempt answered first). */
  task(server: string, outcome: 'ok' | 'failed' | 'backup', seconds?: number): void;
}

/** The jobs' Prometheus metrics, on the balancer's own metrics registry. */
export function createJobMetrics(registry: MetricsRegistry, countByStatus: () => Record<JobStatus, number>): JobMetrics {
  const statuses = new Counter({
    name: 'distcalc_job_transitions_total',
    help: 'Jobs that reached each status',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const jobSeconds = new Histogram({
    name: 'distcalc_job_duration_seconds',
    help: 'Time from a job starting to its end, by how it ended',
    labelNames: ['status'] as const,
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [registry],
  });
  const tasks = new Counter({
    name: 'distcalc_job_tasks_total',
    help: 'Task attempts by the server that ran them and the outcome (backup: a backup attempt answered first)',
    labelNames: ['server', 'outcome'] as const,
    registers: [registry],
  });
  const taskSeconds = new Histogram({
    name: 'distcalc_job_task_duration_seconds',
    help: 'Time from sending a task to its answer',
    labelNames: ['server'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  new Gauge({
    name: 'distcalc_jobs',
    help: 'Jobs kept by the balancer, by status',
    labelNames: ['status'] as const,
    registers: [registry],
    collect() {
      for (const [status, count] of Object.entries(countByStatus())) this.set({ status }, count);
    },
  });
  return {
    jobStatus: (status) => statuses.inc({ status }),
    jobDuration: (status, seconds) => jobSeconds.observe({ status }, seconds),
    task(server, outcome, seconds) {
      tasks.inc({ server, outcome });
      if (seconds !== undefined) taskSeconds.observe({ server }, seconds);
    },
  };
}
