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
 * the worker's or the balancer's. (Inside a cgroup with the CPU controller, a container say, the
 * cgroup's weight plays that part and is the deployment's to set.) Elsewhere it does what the OS
 * allows; never throws.
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
  return { threads, autogroup: leadsOwnSession() && inRootCpuGroup() && lowerAutogroup() };
}

/**
 * Writes the autogroup's nice value. Unprivileged, the kernel takes one such change per 100 ms
 * on the whole machine (EAGAIN otherwise), which workers started together run into: a few
 * tries, 110 ms apart, at start-up only.
 */
function lowerAutogroup(): boolean {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      writeFileSync('/proc/self/autogroup', String(LOWEST_NICE));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return false;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 110);
    }
  }
  return false;
}

/** Autogroups only apply to processes in the root CPU cgroup (not inside a container, say). */
function inRootCpuGroup(): boolean {
  try {
    const lines = readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n');
    // cgroup v1: `N:cpu,cpuacct:/path`; v2 only: `0::/path`.
    const cpu = lines.find((line) => line.split(':')[1]?.split(',').includes('cpu')) ?? lines.find((line) => line.startsWith('0::'));
    return cpu?.split(':')[2] === '/';
  } catch {
    return false;
  }
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
