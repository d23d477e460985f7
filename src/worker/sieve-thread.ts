/**
 * One sieving thread of the calculator (see sieve-threads.ts): counts the ranges it is sent,
 * one at a time, and checks its cancel flag between segments.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PrimeCounter } from './sieve/prime-counter.js';
import type { SieveTask, SieveThreadReply } from './sieve-threads.js';

if (!parentPort) throw new Error('the sieve thread runs as a worker thread of the calculator');
const port = parentPort;
const { cancel } = workerData as { cancel: Int32Array };
const counter = new PrimeCounter();
const cancelled = (): boolean => Atomics.load(cancel, 0) !== 0;

port.on('message', ({ id, from, to }: SieveTask) => {
  let reply: SieveThreadReply;
  try {
    const count = counter.count(from, to, cancelled);
    reply = count ? { id, count } : { id, cancelled: true };
  } catch (err) {
    reply = { id, error: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply);
});
