/** The job fields the command shows (the `<job>` of the HTTP API). */
export interface JobView {
  id: string;
  from: string;
  to: string;
  status: string;
  progress: { tasks_done: number; tasks_total: number; fraction: number };
  result: { primes: string; twin_primes: string } | null;
  servers: Record<string, number>;
  retries: number;
  error: string | null;
  started_at: string | null;
  finished_at: string | null;
}

/** One line of progress: a bar, the share done, tasks, and how long it has run. */
export function progressLine(job: JobView, width: number, elapsedMs: number): string {
  const fraction = Math.min(1, Math.max(0, job.progress.fraction));
  const barWidth = Math.max(10, Math.min(40, width - 50));
  const filled = Math.round(fraction * barWidth);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}`;
  const tasks = `${job.progress.tasks_done}/~${job.progress.tasks_total} tasks`;
  return `${bar} ${(fraction * 100).toFixed(1).padStart(5)} %  ${tasks}  ${(elapsedMs / 1000).toFixed(1)} s`;
}

/** The closing report: the result, then each server's share of the tasks. */
export function summary(job: JobView): string[] {
  const lines: string[] = [];
  if (job.status === 'done' && job.result) {
    lines.push(`primes in [${job.from}, ${job.to}]: ${job.result.primes}`);
    lines.push(`twin prime pairs:   ${job.result.twin_primes}`);
  } else {
    lines.push(`job ${job.id} ended ${job.status}${job.error ? `: ${job.error}` : ''}`);
  }
  const total = Object.values(job.servers).reduce((a, b) => a + b, 0);
  for (const [server, tasks] of Object.entries(job.servers).sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`  ${server.padEnd(12)} ${String(tasks).padStart(6)} tasks  ${((tasks / Math.max(1, total)) * 100).toFixed(1).padStart(5)} %`);
  }
  if (job.started_at && job.finished_at) {
    lines.push(`took ${((Date.parse(job.finished_at) - Date.parse(job.started_at)) / 1000).toFixed(2)} s, ${job.retries} task(s) run again`);
  }
  return lines;
}
