/**
 * The calculator: a child process of the worker that runs the large checks (OpenSSL's
 * Miller–Rabin on libuv's thread pool) at the lowest CPU priority the worker may give it.
 * Started by `createCalculator` with an IPC channel; see calculator.ts for why it exists.
 */
import { checkPrime } from 'node:crypto';
import { OPENSSL_ROUNDS } from './primality.js';
import { lowerOwnPriority } from './priority.js';
import type { CalculatorReply, CalculatorRequest } from './calculator-protocol.js';

const send = process.send?.bind(process);
if (!send) throw new Error('the calculator runs as a child of a worker, with an IPC channel');

// Its thread pool (sized by the worker through UV_THREADPOOL_SIZE) starts on first use: start
// it now, so that lowering the priority of every thread reaches the pool's threads too.
await new Promise<void>((resolve) => checkPrime(3n, () => resolve()));
const priority = lowerOwnPriority();

process.on('message', ({ id, hex }: CalculatorRequest) => {
  checkPrime(BigInt(`0x${hex}`), { checks: OPENSSL_ROUNDS }, (err, prime) => {
    const reply: CalculatorReply = err ? { id, error: err.message } : { id, prime };
    send(reply);
  });
});
// The worker is gone (even by SIGKILL): nothing is left to answer to.
process.on('disconnect', () => process.exit(0));
send({ ready: true, ...priority } satisfies CalculatorReply);
