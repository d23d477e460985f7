import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import type { PriorityReport } from './calculator-protocol.js';

/** The lowest CPU priority (highest nice value) on Linux and macOS. */
export const LOWEST_NICE = 19;

/** The idle CPU cgroup every calculator on the machine joins: a child of the root one (or of the container's, in a cgroup namespace). */
export const IDLE_CPU_GROUP = 'distcalc-calculators';

/**
 * Puts every thread of this process at the lowest CPU priority, so that any other runnable
 * thread (the worker's event loop, the balancer, a health check) runs first. On Linux, nice is
 * per thread: each one in /proc/self/task is lowered, and threads started later inherit it.
 *
 * Nice alone is not enough where the process sits in the root CPU cgroup (a machine without
 * containers): there the kernel first shares the CPU between sessions (autogroups), so the
 * calculator's session would get as much as the worker's or the balancer's. Where it may (root,
 * a writable cgroup file system), the process moves to an idle CPU cgroup (`cpu.idle`): the
 * kernel's own "only when nothing else wants the CPU" class, which a waking event loop preempts
 * at once instead of waiting out the calculator's time slice. Measured under a mixed load, that
 * took the light requests' p99 behind our balancer from 7–8 ms to 4–5 ms (BENCHMARKS.md).
 * Otherwise, when this process leads its own session, its autogroup is lowered to nice 19. It
 * never leaves a cgroup other than the root one: inside a container or a systemd unit, that
 * cgroup's limits and weight are the deployment's to set (a container with a cgroup namespace
 * sees its own cgroup as the root: the idle group is then made inside it, where its limits still
 * apply, if its cgroup file system is writable at all). Elsewhere it does what the OS allows;
 * never throws.
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
  const inRoot = inRootCpuGroup();
  const idleGroup = joinIdleCpuGroup();
  return { threads, idleGroup, autogroup: !idleGroup && inRoot && leadsOwnSession() && lowerAutogroup() };
}

/** What the decision where to put the idle group reads from the system. */
export interface CgroupView {
  /** /proc/self/cgroup */
  procCgroup: string;
  /** /proc/self/mountinfo */
  mountinfo: string;
  /** cgroup.subtree_control of a cgroup v2 directory (its enabled controllers for children). */
  subtreeControl(dir: string): string;
}

/**
 * The directory of the idle group, or undefined where the process must stay where it is: not
 * in the root CPU cgroup (a systemd unit, a container without a cgroup namespace: leaving would
 * escape its limits), no cpu controller mounted with its root visible, or cgroup v2 that does
 * not hand the cpu controller down to children (the group would have no cpu.idle).
 */
export function idleGroupDir({ procCgroup, mountinfo, subtreeControl }: CgroupView): string | undefined {
  if (cpuCgroupPath(procCgroup) !== '/') return undefined;
  const version = cgroupVersion(procCgroup);
  const mount = cpuControllerMount(mountinfo, version);
  if (!mount) return undefined;
  if (version === 2 && !subtreeControl(mount).split(/\s+/).includes('cpu')) return undefined;
  return join(mount, IDLE_CPU_GROUP);
}

/** Moves this process (every thread) into the shared idle CPU cgroup; false if it cannot. */
function joinIdleCpuGroup(): boolean {
  let dir: string | undefined;
  let made = false;
  try {
    dir = idleGroupDir({
      procCgroup: readFileSync('/proc/self/cgroup', 'utf8'),
      mountinfo: readFileSync('/proc/self/mountinfo', 'utf8'),
      subtreeControl: (mount) => readFileSync(join(mount, 'cgroup.subtree_control'), 'utf8'),
    });
    if (!dir) return false;
    made = mkdirSync(dir, { recursive: true }) !== undefined;
    // No cpu.idle: a kernel before 5.15. Idle first, then move: the process never sits in a
    // group of full weight. A group made idle beforehand (by an administrator, for a worker
    // that is not root) is left as it is.
    if (!existsSync(join(dir, 'cpu.idle'))) throw new Error('no cpu.idle');
    if (readFileSync(join(dir, 'cpu.idle'), 'utf8').trim() !== '1') writeFileSync(join(dir, 'cpu.idle'), '1');
    writeFileSync(join(dir, 'cgroup.procs'), String(process.pid));
    return true;
  } catch {
    // Leave nothing behind that this call made and could not use (EBUSY: others use it).
    if (dir && made) {
      try {
        rmdirSync(dir);
      } catch {
        // In use by another calculator, or already gone.
      }
    }
    return false;
  }
}

/** Which cgroup hierarchy holds the CPU controller, from /proc/<pid>/cgroup. */
export function cgroupVersion(procCgroup: string): 1 | 2 {
  return procCgroup.split('\n').some((line) => line.split(':')[1]?.split(',').includes('cpu')) ? 1 : 2;
}

/**
 * Where that hierarchy is mounted with its root visible, from /proc/<pid>/mountinfo
 * (`id parent dev root mountpoint options [optional fields] - fstype source super-options`).
 */
export function cpuControllerMount(mountinfo: string, version: 1 | 2): string | undefined {
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const [, , , root, mountPoint] = left.split(' ');
    const [fsType, , superOptions = ''] = right.split(' ');
    if (root !== '/' || !mountPoint) continue;
    if (version === 2 ? fsType === 'cgroup2' : fsType === 'cgroup' && superOptions.split(',').includes('cpu')) return mountPoint;
  }
  return undefined;
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

/** Autogroups only apply to processes in the root CPU cgroup (not inside a container without a cgroup namespace, say). */
function inRootCpuGroup(): boolean {
  try {
    return cpuCgroupPath(readFileSync('/proc/self/cgroup', 'utf8')) === '/';
  } catch {
    return false;
  }
}

/** The process's CPU cgroup, from /proc/<pid>/cgroup: v1 `N:cpu,cpuacct:/path`, v2 only `0::/path`. */
export function cpuCgroupPath(procCgroup: string): string | undefined {
  const lines = procCgroup.trim().split('\n');
  const cpu = lines.find((line) => line.split(':')[1]?.split(',').includes('cpu')) ?? lines.find((line) => line.startsWith('0::'));
  return cpu?.split(':')[2];
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
