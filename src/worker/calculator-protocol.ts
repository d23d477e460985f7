/** Messages between a worker and its calculator process (JSON over the IPC channel). */
import type { RangeCount } from './sieve/prime-counter.js';

/**
 * Worker to calculator: is this number (in hex: shorter than decimal, and BigInt reads it)
 * prime; count the primes in a range (on a sieving thread); or stop a count (`cancel`), which
 * is then answered `cancelled`, unless its answer was already on its way.
 */
export type CalculatorRequest =
  | { kind: 'is_prime'; id: number; hex: string }
  | { kind: 'count_primes'; id: number; from: number; to: number }
  | { kind: 'cancel'; id: number };

/** How far the calculator could lower its priority (see priority.ts). */
export interface PriorityReport {
  /** Threads now at the lowest priority. */
  threads: number;
  /** Whether it joined the idle CPU cgroup (runs only when nothing else wants the CPU). */
  idleGroup: boolean;
  /** Whether, instead, its own autogroup (its share of the CPU against other sessions) was lowered. */
  autogroup: boolean;
}

/** Calculator to worker: once `ready`, then one answer per request (none for `cancel`). */
export type CalculatorReply =
  | { id: number; prime: boolean }
  | { id: number; count: RangeCount }
  | { id: number; cancelled: true }
  | { id: number; error: string }
  | ({ ready: true; sieveThreads: number } & PriorityReport);
