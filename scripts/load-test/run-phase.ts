import { availableParallelism } from 'node:os';
import { startThread } from '../lib/thread.js';
import type { Worker } from 'node:worker_threads';
import type { GoMessage, RequestRecord, ThreadMessage, UsersJob } from './types.js';

export interface PhaseRun {
  records: RequestRecord[];
  startedAt: number;
  endedAt: number;
}

export interface PhaseSpec {
  phase: number;
  baseUrl: string;
  paths: string[];
  users: number;
  requestsPerUser: number;
  minDurationMs: number;
  timeoutMs: number;
  threads?: number;
  /** Called as results come in: requests finished so far, and milliseconds since the start. */
  onProgress?: (done: number, records: readonly RequestRecord[], elapsedMs: number) => void;
}

const threadEntry = new URL(`./virtual-users.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url);

/**
 * Runs one phase: the users are spread over worker threads (so that the load generator
 * is not one event loop competing with itself) and their results are gathered here.
 */
export async function runPhase(spec: PhaseSpec): Promise<PhaseRun> {
  const threads = Math.max(1, Math.min(spec.users, spec.threads ?? Math.max(2, availableParallelism())));
  const records: RequestRecord[] = [];
  let firstUser = 0;
  const jobs: UsersJob[] = [];
  for (let t = 0; t < threads; t++) {
    const users = Math.floor(spec.users / threads) + (t < spec.users % threads ? 1 : 0);
    jobs.push({
      baseUrl: spec.baseUrl,
      paths: spec.paths,
      phase: spec.phase,
      firstUser,
      users,
      requestsPerUser: spec.requestsPerUser,
      minDurationMs: spec.minDurationMs,
      timeoutMs: spec.timeoutMs,
    });
    firstUser += users;
  }
  let startedAt = 0;
  let ready = 0;
  const threadsStarted: Worker[] = [];
  const goAll = (): void => {
    startedAt = Date.now();
    for (const thread of threadsStarted) thread.postMessage({ type: 'go', startedAt } satisfies GoMessage);
  };
  await Promise.all(
    jobs.map(
      (job) =>
        new Promise<void>((resolve, reject) => {
          const thread = startThread(threadEntry, { workerData: job });
          threadsStarted.push(thread);
          thread.on('message', (message: ThreadMessage) => {
            if (message.type === 'ready') {
              ready += 1;
              if (ready === jobs.length) goAll();
            } else if (message.type === 'records') {
              records.push(...message.records);
              spec.onProgress?.(records.length, records, Date.now() - startedAt);
            } else {
              resolve();
            }
          });
          thread.on('error', reject);
          thread.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`virtual-user thread exited with ${code}`))));
        }),
    ),
  );
  const endedAt = records.reduce((end, r) => Math.max(end, r.start + r.latencyMs), startedAt);
  records.sort((a, b) => a.start - b.start);
  return { records, startedAt, endedAt };
}

/** A progress line that rewrites itself on a terminal, at most ten times a second; nothing when output is not a terminal. */
export function terminalProgress(phase: number, total: number): (done: number, records: readonly RequestRecord[]) => void {
  if (!process.stdout.isTTY) return () => {};
  const started = Date.now();
  let shown = 0;
  return (done, records) => {
    const now = Date.now();
    if (now - shown < 100 && done < total) return;
    shown = now;
    const failed = records.reduce((n, r) => n + (r.error === null ? 0 : 1), 0);
    const rate = (done * 1000) / Math.max(1, now - started);
    process.stdout.write(`\r  phase ${phase}: ${done}/${total} done, ${failed} failed, ${rate.toFixed(0)} req/s   `);
  };
}
