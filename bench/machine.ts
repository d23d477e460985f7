/**
 * Where the machine's CPU goes during a run: how much of it was left idle, and what the
 * processes around the proxy (workers, their calculators, the load generator) spent. The
 * mixed workload's throughput is whatever CPU the calculators get, so these say why one
 * proxy's throughput differs from another's.
 */
import { now } from './closed-loop.js';
import { readFileSync } from 'node:fs';

/** The kernel's CPU time counters for the whole machine, in clock ticks. */
export interface CpuTimes {
  /** Idle and waiting for I/O. */
  idle: number;
  /** Everything, steal included (time the hypervisor gave to others is not ours to use). */
  total: number;
}

/**
 * Parses the aggregate line of /proc/stat: `cpu user nice system idle iowait irq softirq
 * steal guest guest_nice`. Guest time is already counted in user and nice, so it is left out.
 */
export function parseCpuTimes(procStat: string): CpuTimes {
  const line = procStat.split('\n', 1)[0] ?? '';
  const fields = line.trim().split(/\s+/);
  if (fields[0] !== 'cpu' || fields.length < 5) throw new Error(`not /proc/stat's first line: ${JSON.stringify(line)}`);
  const ticks = fields.slice(1, 9).map(Number);
  if (ticks.some((t) => !Number.isFinite(t))) throw new Error(`not /proc/stat's first line: ${JSON.stringify(line)}`);
  return { idle: ticks[3]! + (ticks[4] ?? 0), total: ticks.reduce((sum, t) => sum + t, 0) };
}

export function readCpuTimes(): CpuTimes {
  return parseCpuTimes(readFileSync('/proc/stat', 'utf8'));
}

/** The idle share of the machine between two readings, in percent (NaN if no time passed). */
export function idlePercent(from: CpuTimes, to: CpuTimes): number {
  const total = to.total - from.total;
  return total > 0 ? ((to.idle - from.idle) * 100) / total : Number.NaN;
}

export interface CpuSample extends CpuTimes {
  /** Epoch ms. */
  at: number;
}

/**
 * The idle share inside the window `[from, to]` (epoch ms) from samples in time order: from the
 * first sample at or after `from` to the last at or before `to`, so that nothing from before
 * the window (a run's start-up, several times as idle) leaks in. NaN with fewer than two
 * samples inside. The kernel counts in ticks (1/100 s on each core), so over 8 s on two cores
 * one tick is about 0.06 points.
 */
export function idleOver(samples: readonly CpuSample[], from: number, to: number): number {
  let start: CpuSample | undefined;
  let end: CpuSample | undefined;
  for (const sample of samples) {
    if (sample.at >= from && start === undefined) start = sample;
    if (sample.at <= to) end = sample;
  }
  return start && end && end.at > start.at ? idlePercent(start, end) : Number.NaN;
}

/**
 * Reads the counters every `everyMs` until stopped: a run's steady part (after its first
 * second, before its users stop) is only known once it is over.
 */
export function sampleCpuTimes(everyMs = 250): { stop(): CpuSample[] } {
  const samples: CpuSample[] = [{ at: now(), ...readCpuTimes() }];
  const timer = setInterval(() => samples.push({ at: now(), ...readCpuTimes() }), everyMs);
  return {
    stop() {
      clearInterval(timer);
      samples.push({ at: now(), ...readCpuTimes() });
      return samples;
    },
  };
}

/**
 * The processes `pid` started and that still run, or none if it is gone. Linux only, and only
 * with CONFIG_PROC_CHILDREN (Debian's kernels have it): the caller warns when it finds none.
 */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
