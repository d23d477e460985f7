import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import type { PriorityReport } from './calculator-protocol.js';

/** The lowest CPU priority (highest nice value) on Linux and macOS. */
export const LOWEST_NICE = 19;

/**
 * Puts every thread of this process at the lowest CPU priority, so that any other runnable
 * thread (the worker's event loop, the balancer, a health check) runs first. On Linux, nice is
 * per thread: each one in /proc/self/task is lowered, and threads started later inherit it.
 * When this process leads its own session, its autogroup is lowered too: with autogroups the
 * kernel first shares the CPU between sessions, which would otherwise give this one as much as
 * the worker's or the balancer's. Elsewhere it does what the OS allows; never throws.
 */
export function lowerOwnPriority(): PriorityReport {
  let threads = 0;
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    tids = ['0'];
  }
  for (const tid of tids) {
    try {
      setPriority(Number(tid), LOWEST_NICE);
      threads += 1;
    } catch {
      // A thread that ended meanwhile, or an OS that refuses: it keeps its priority.
    }
  }
  let autogroup = false;
  if (leadsOwnSession()) {
    try {
      writeFileSync('/proc/self/autogroup', String(LOWEST_NICE));
      autogroup = true;
    } catch {
      // No autogroups (kernel option off, or inside a cgroup where they do not apply).
    }
  }
  return { threads, autogroup };
}

/** Whether this process leads its own session (else its autogroup is its parent's too). */
function leadsOwnSession(): boolean {
  try {
    // Fields after the command name: state, ppid, pgrp, session.
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    return Number(fields[3]) === process.pid;
  } catch {
    return false;
  }
}
