import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A job as the balancer shows it (API.md, "Jobs"): the fields the jobs bench reads. */
export interface JobView {
  id: string;
  status: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  progress: { tasks_done: number; tasks_total: number; fraction: number };
  result: { primes: string; twin_primes: string } | null;
  servers: Record<string, number>;
  retries: number;
  error: string | null;
  started_at: string | null;
  finished_at: string | null;
}

const ended = (job: JobView) => job.status !== 'queued' && job.status !== 'running';

async function call(url: string, init?: RequestInit): Promise<JobView> {
  const res = await fetch(url, init);
  const body = (await res.json()) as { job?: JobView; error?: string; message?: string };
  if (!res.ok || !body.job) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${body.error ?? ''} ${body.message ?? ''}`);
  return body.job;
}

export function submitJob(balancerUrl: string, from: string, to: string): Promise<JobView> {
  return call(`${balancerUrl}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'count_primes', from, to }) });
}

export function cancelJob(balancerUrl: string, id: string): Promise<JobView> {
  return call(`${balancerUrl}/jobs/${id}`, { method: 'DELETE' });
}

/** Long-polls until the job ends (`?wait`: no polling traffic while it runs). */
export async function waitForEnd(balancerUrl: string, id: string): Promise<JobView> {
  for (;;) {
    const job = await call(`${balancerUrl}/jobs/${id}?wait=30`);
    if (ended(job)) return job;
  }
}

/** Polls every `everyMs` until `until(job)` holds or the job ends; returns the job as last seen. */
export async function waitUntil(balancerUrl: string, id: string, until: (job: JobView) => boolean, everyMs = 50): Promise<JobView> {
  for (;;) {
    const job = await call(`${balancerUrl}/jobs/${id}`);
    if (until(job) || ended(job)) return job;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** From the balancer's start of the job to its end, in ms (its own clock, so queueing and polling are left out). */
export function jobWallMs(job: JobView): number {
  if (!job.started_at || !job.finished_at) throw new Error(`job ${job.id} has no start or end (${job.status})`);
  return Date.parse(job.finished_at) - Date.parse(job.started_at);
}

export interface TaskTime {
  server: string;
  /** The worker's own time for the task (its answer's elapsed_ms). */
  elapsedMs: number;
}

/**
 * The job's finished tasks from the balancer's journal, `<dataDir>/jobs.journal`: one event a
 * line, `<16 hex checksum> <event JSON>`; `task` events carry the worker's answer. Read right
 * after the job ends: a compaction writes a finished job as its totals, without its tasks (the
 * journal is compacted at start and once it passes 4 MB, far beyond a bench job's).
 */
export function readTaskTimes(dataDir: string, jobId: string): TaskTime[] {
  const tasks: TaskTime[] = [];
  for (const line of readFileSync(join(dataDir, 'jobs.journal'), 'utf8').split('\n')) {
    const space = line.indexOf(' ');
    if (space < 0) continue;
    let event: { type?: string; id?: string; task?: TaskTime };
    try {
      event = JSON.parse(line.slice(space + 1)) as typeof event;
    } catch {
      continue;
    }
    if (event.type === 'task' && event.id === jobId && event.task) tasks.push({ server: event.task.server, elapsedMs: event.task.elapsedMs });
  }
  return tasks;
}

/**
 * The longest chain of task times: per worker, the sum of its tasks' times; the largest of
 * those. With every worker busy from start to end, the job could take no less.
 */
export function longestChainMs(tasks: readonly TaskTime[]): { ms: number; byServer: Record<string, number> } {
  const byServer: Record<string, number> = {};
  for (const t of tasks) byServer[t.server] = (byServer[t.server] ?? 0) + t.elapsedMs;
  return { ms: Math.max(0, ...Object.values(byServer)), byServer };
}
