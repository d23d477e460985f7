import { Worker } from 'node:worker_threads';
import type { RangeCount } from './sieve/prime-counter.js';

/** How a count ended. */
export type SieveOutcome = { count: RangeCount } | { cancelled: true } | { error: string };

export interface SieveTask {
  id: number;
  from: number;
  to: number;
}

/** Thread to pool: the outcome of the task it was given. */
export type SieveThreadReply = SieveOutcome & { id: number };

interface Thread {
  worker: Worker;
  cancel: Int32Array;
  task: { id: number; done: (outcome: SieveOutcome) => void } | undefined;
}

const fromSources = import.meta.url.endsWith('.ts');
const entry = new URL(`./sieve-thread.${fromSources ? 'ts' : 'js'}`, import.meta.url);

function startWorker(workerData: unknown): Worker {
  if (!fromSources) return new Worker(entry, { workerData });
  // From sources: Node 20 starts a worker thread without the --import hooks of its process
  // (tsx), so the thread registers tsx itself before it loads its entry.
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const code = `import(${tsx}).then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(code, { eval: true, execArgv: [], workerData });
}

/**
 * The calculator's sieving threads: up to one per capacity slot, each with its own PrimeCounter
 * (and so its own base primes and buckets, kept between tasks), started when counts first need
 * them (a worker that never counts starts none). Made by the calculator process, after it
 * lowered its priority: on Linux a new thread inherits its creator's nice value and CPU cgroup,
 * so the counts run at the calculator's low priority. A count beyond the threads waits here,
 * first come first served.
 *
 * A running count stops between two segments once its thread's cancel flag (a shared Int32)
 * is set; a waiting one is dropped.
 */
export class SieveThreads {
  private readonly threads: Thread[] = [];
  private readonly waiting: Array<SieveTask & { done: (outcome: SieveOutcome) => void }> = [];
  private closed = false;

  /** At most `size` threads. */
  constructor(readonly size: number) {}

  /** Counts a range on the next free thread. */
  run(task: SieveTask): Promise<SieveOutcome> {
    if (this.closed) return Promise.resolve({ error: 'sieving threads closed' });
    return new Promise((done) => {
      this.waiting.push({ ...task, done });
      this.next();
    });
  }

  /** Stops the count with this id: between segments if running, at once if waiting. */
  cancel(id: number): void {
    const queued = this.waiting.findIndex((task) => task.id === id);
    if (queued >= 0) {
      this.waiting.splice(queued, 1)[0]!.done({ cancelled: true });
      return;
    }
    const thread = this.threads.find((t) => t.task?.id === id);
    if (thread) Atomics.store(thread.cancel, 0, 1);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.waiting.splice(0)) task.done({ error: 'sieving threads closed' });
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }

  private next(): void {
    while (this.waiting.length > 0) {
      let thread = this.threads.find((t) => t.task === undefined);
      if (!thread) {
        if (this.threads.length >= this.size) return;
        thread = this.start();
        this.threads.push(thread);
      }
      const task = this.waiting.shift()!;
      Atomics.store(thread.cancel, 0, 0);
      thread.task = { id: task.id, done: task.done };
      thread.worker.postMessage({ id: task.id, from: task.from, to: task.to } satisfies SieveTask);
    }
  }

  private start(): Thread {
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    const worker = startWorker({ cancel });
    const thread: Thread = { worker, cancel, task: undefined };
    worker.on('message', (reply: SieveThreadReply) => {
      const task = thread.task;
      if (!task || task.id !== reply.id) return;
      thread.task = undefined;
      task.done(reply);
      this.next();
    });
    // A thread that dies (out of memory, say) fails its count alone; the next count that needs
    // a thread starts a new one.
    const gone = (why: string): void => {
      const index = this.threads.indexOf(thread);
      if (index < 0) return;
      this.threads.splice(index, 1);
      thread.task?.done({ error: `sieving thread ${why}` });
      thread.task = undefined;
      if (!this.closed) this.next();
    };
    worker.on('error', (err) => gone(`failed: ${err.message}`));
    worker.on('exit', (code) => gone(`exited (code ${code})`));
    return thread;
  }
}
