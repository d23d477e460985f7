/**
 * The calculator: a child process of the worker that runs the heavy work at the lowest CPU
 * priority the worker may give it: large primality checks (OpenSSL's Miller–Rabin on libuv's
 * thread pool) and prime counts (on sieving threads). Started by `createCalculator` with an IPC
 * channel and its thread count as argument; see calculator.ts for why it exists.
 */
import { checkPrime } from 'node:crypto';
import { OPENSSL_ROUNDS } from './primality.js';
import { lowerOwnPriority } from './priority.js';
import { SieveThreads } from './sieve-threads.js';
import type { CalculatorReply, CalculatorRequest } from './calculator-protocol.js';

if (!process.send) throw new Error('the calculator runs as a child of a worker, with an IPC channel');
// The worker is gone (even by SIGKILL), or closed us: nothing is left to answer to. Not
// process.exit(), which waits for a running OpenSSL check to finish (libuv joins its threads at
// exit); there is nothing to flush. Registered first, so that nothing is sent on a closed channel.
process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
const send = (reply: CalculatorReply): void => {
  if (process.connected) process.send?.(reply);
};

// Its thread pool (sized by the worker through UV_THREADPOOL_SIZE) starts on first use: start
// it now, so that lowering the priority of every thread reaches the pool's threads too.
await new Promise<void>((resolve) => checkPrime(3n, () => resolve()));
const priority = lowerOwnPriority();
// Its threads start after the priority was lowered (when counts first need them): they inherit it.
const sieve = new SieveThreads(Math.max(1, Number(process.argv[2]) || 1));

function isPrime(id: number, hex: string): void {
  try {
    checkPrime(BigInt(`0x${hex}`), { checks: OPENSSL_ROUNDS }, (err, prime) => send(err ? { id, error: err.message } : { id, prime }));
  } catch (err) {
    // A malformed request fails alone, not every check in flight with this process.
    send({ id, error: err instanceof Error ? err.message : String(err) });
  }
}

process.on('message', (request: CalculatorRequest) => {
  switch (request.kind) {
    case 'is_prime':
      isPrime(request.id, request.hex);
      return;
    case 'count_primes':
      void sieve.run(request).then((outcome) => send({ id: request.id, ...outcome }));
      return;
    case 'cancel':
      sieve.cancel(request.id);
      return;
  }
});
send({ ready: true, sieveThreads: sieve.size, ...priority });
