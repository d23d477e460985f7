import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread on a module that may be TypeScript. Node 20 does not pass tsx's
 * loader on to worker threads, so a `.ts` entry is started through a tiny bootstrap that
 * registers tsx inside the thread first; compiled `.js` entries start directly.
 */
export function startThread(entry: URL, options: WorkerOptions = {}): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { ...options, eval: true });
}
