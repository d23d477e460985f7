/** Messages between a worker and its calculator process (JSON over the IPC channel). */

/** Worker to calculator: is this number (in hex: shorter than decimal, and BigInt reads it) prime? */
export interface CalculatorRequest {
  id: number;
  hex: string;
}

/** How far the calculator could lower its priority (see priority.ts). */
export interface PriorityReport {
  /** Threads now at the lowest priority. */
  threads: number;
  /** Whether it joined the idle CPU cgroup (runs only when nothing else wants the CPU). */
  idleGroup: boolean;
  /** Whether, instead, its own autogroup (its share of the CPU against other sessions) was lowered. */
  autogroup: boolean;
}

/** Calculator to worker: once `ready`, then one answer per request. */
export type CalculatorReply = { id: number; prime: boolean } | { id: number; error: string } | ({ ready: true } & PriorityReport);
