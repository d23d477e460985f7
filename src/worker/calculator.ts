import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../shared/logger.js';
import type { CalculatorReply, CalculatorRequest } from './calculator-protocol.js';
import type { RangeCount } from './sieve/prime-counter.js';

/**
 * Large primality checks and prime counts, run in a child process at the lowest CPU priority.
 *
 * A check of a number like 2^1279-1 takes tens of milliseconds of pure CPU. Run on the worker's
 * own thread pool, those threads compete as equals with its event loop (light answers, health
 * checks) and with every other process on the machine, so a light request waits behind heavy
 * work in the kernel's run queue: measured, that was most of the light requests' p99 under a
 * mixed load (BENCHMARKS.md). In a process of its own, every thread at nice 19, and in an idle
 * CPU cgroup or at least a lowered autogroup of its own session (priority.ts), the calculations
 * take only CPU time nothing else wants: a busy worker still answers light requests and health
 * checks at once, and heavy throughput is unchanged when the machine has nothing else to do.
 *
 * The process starts at once (so that the first large check does not wait for it) and again,
 * with the next large check, after it dies: its checks in flight fail with an error, and the
 * balancer retries them elsewhere. It exits when the worker does,
 * SIGKILL included: its IPC channel closes.
 */
export interface Calculator {
  isPrime(n: bigint): Promise<boolean>;
  /**
   * Counts the primes and twin primes in [from, to] (0 ≤ from ≤ to < 2^53) on a sieving thread.
   * When `signal` aborts, the count stops within a segment and this rejects with a
   * CancelledError, unless its answer came first.
   */
  countPrimes(from: number, to: number, signal?: AbortSignal): Promise<RangeCount>;
  /** The calculator process, if it is running (for tests and the start-up log). */
  readonly pid: number | undefined;
  /** Stops the process; checks still in flight fail. */
  close(): Promise<void>;
}

export interface CalculatorOptions {
  /** Checks it runs at once: the size of its thread pool, and its number of sieving threads. */
  threads: number;
  logger: Logger;
}

const fromSources = import.meta.url.endsWith('.ts');
const entry = fileURLToPath(new URL(`./calculator-process.${fromSources ? 'ts' : 'js'}`, import.meta.url));

/** A count stopped because its client no longer wants it. */
export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

type Answer = Exclude<CalculatorReply, { ready: true }>;
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
/** A request as `ask` takes it: `ask` gives it its id. */
type Request = WithoutId<Exclude<CalculatorRequest, { kind: 'cancel' }>>;

interface Running {
  child: ChildProcess;
  ready: Promise<void>;
  pending: Map<number, { resolve: (answer: Answer) => void; reject: (err: Error) => void }>;
}

/** After a calculator died before it was ready, no new one is started for this long. */
const RESTART_PAUSE_MS = 1_000;

export function createCalculator({ threads, logger }: CalculatorOptions): Calculator {
  let running: Running | undefined;
  let closed = false;
  let nextId = 1;
  // When the process cannot start at all, checks fail at once for a moment instead of each
  // starting (and paying for) another process that will not start either.
  let restartAfter = 0;
  let closing: Promise<void> | undefined;

  function start(): Running {
    const child = fork(entry, [String(threads)], {
      // Its own session: a Ctrl-C to the worker's process group does not reach it (the worker
      // stops it in order), and it gets an autogroup of its own to lower.
      detached: true,
      // Not the worker's command-line flags (an --inspect port, say); tsx when running from sources.
      execArgv: fromSources ? ['--import', 'tsx'] : [],
      env: { ...process.env, UV_THREADPOOL_SIZE: String(threads) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const pending: Running['pending'] = new Map();
    let ended = false;
    let isReady = false;
    const self: Running = {
      child,
      pending,
      ready: new Promise((resolve, reject) => {
        child.on('message', (reply: CalculatorReply) => {
          if ('ready' in reply) {
            logger.info({ calculatorPid: child.pid, threads, sieveThreads: reply.sieveThreads, lowestPriority: { threads: reply.threads, idleGroup: reply.idleGroup, autogroup: reply.autogroup } }, 'calculator ready');
            isReady = true;
            resolve();
            return;
          }
          const waiter = pending.get(reply.id);
          if (!waiter) return;
          pending.delete(reply.id);
          if ('error' in reply) waiter.reject(new Error(`calculation failed: ${reply.error}`));
          else if ('cancelled' in reply) waiter.reject(new CancelledError());
          else waiter.resolve(reply);
        });
        const gone = (why: string): void => {
          if (ended) return;
          ended = true;
          if (running === self) running = undefined;
          if (!isReady) restartAfter = Date.now() + RESTART_PAUSE_MS;
          const err = new Error(`calculator ${why}`);
          reject(err);
          for (const waiter of pending.values()) waiter.reject(err);
          pending.clear();
          if (!closed) logger.error({ calculatorPid: child.pid, why }, 'calculator stopped; a new one starts with the next large check or count');
        };
        child.once('exit', (code, signal) => gone(`exited (${signal ?? `code ${code}`})`));
        // An error from a process that still runs (a send racing a disconnect) is not its death.
        child.on('error', (err) => {
          if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) gone(`failed: ${err.message}`);
        });
      }),
    };
    // A failed start is reported to the checks that wait for it, not as an unhandled rejection.
    self.ready.catch(() => {});
    return self;
  }

  /** Sends a request and waits for its answer; `signal` sends a cancel for it. */
  async function ask(request: Request, signal?: AbortSignal): Promise<Answer> {
    if (closed) throw new Error('calculator closed');
    if (!running && Date.now() < restartAfter) throw new Error('calculator failed to start; retrying shortly');
    running ??= start();
    const { child, ready, pending } = running;
    await ready;
    if (signal?.aborted) throw new CancelledError();
    const id = nextId++;
    if (!child.connected) throw new Error('calculator stopped');
    const cancel = (): void => {
      if (child.connected) child.send({ kind: 'cancel', id } satisfies CalculatorRequest);
    };
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      return await new Promise<Answer>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ ...request, id } as CalculatorRequest, (err) => {
          if (!err) return;
          pending.delete(id);
          reject(new Error(`calculator unreachable: ${err.message}`));
        });
      });
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
  }

  running = start();
  return {
    get pid() {
      return running?.child.pid;
    },

    async isPrime(n) {
      const answer = await ask({ kind: 'is_prime', hex: n.toString(16) });
      if (!('prime' in answer)) throw new Error('calculator answered a primality check with something else');
      return answer.prime;
    },

    async countPrimes(from, to, signal) {
      const answer = await ask({ kind: 'count_primes', from, to }, signal);
      if (!('count' in answer)) throw new Error('calculator answered a count with something else');
      return answer.count;
    },

    close() {
      closed = true;
      const child = running?.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      // Called twice, the second call waits for the same exit.
      closing ??= new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        if (child.connected) child.disconnect();
      });
      return closing;
    },
  };
}
