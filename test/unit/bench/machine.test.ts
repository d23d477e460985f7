import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { childPids, idleOver, idlePercent, parseCpuTimes, readCpuTimes, type CpuSample } from '../../../bench/machine.js';

describe('machine CPU accounting for the benchmark', () => {
  it('when /proc/stat is read, then idle is idle plus iowait and the total counts steal but not guest time', () => {
    // user nice system idle iowait irq softirq steal guest guest_nice
    const times = parseCpuTimes('cpu  100 20 30 400 5 0 10 3 50 7\ncpu0 50 10 15 200 2 0 5 1 25 3\n');
    expect(times).toEqual({ idle: 405, total: 568 });
  });

  it('when the text is not /proc/stat, then it says so instead of returning zeros', () => {
    expect(() => parseCpuTimes('intr 1 2 3')).toThrow(/not \/proc\/stat/);
    expect(() => parseCpuTimes('cpu  1 2 x 4 5')).toThrow(/not \/proc\/stat/);
  });

  it('when this machine is read twice, then the idle share between the readings is a percentage', () => {
    const a = readCpuTimes();
    const until = Date.now() + 30;
    while (Date.now() < until);
    const share = idlePercent(a, readCpuTimes());
    // NaN only if the kernel's tick did not advance in 30 ms, which a 100 Hz or faster clock does.
    expect(share).toBeGreaterThanOrEqual(0);
    expect(share).toBeLessThanOrEqual(100);
  });

  it('when samples span a run, then the window is measured from the first sample inside it to the last, and nothing from before it leaks in', () => {
    const samples: CpuSample[] = [
      { at: 0, idle: 0, total: 0 },
      { at: 1000, idle: 500, total: 1000 }, // start-up: half idle
      { at: 2000, idle: 510, total: 2000 }, // steady: 1 % idle
      { at: 3000, idle: 520, total: 3000 },
      { at: 4000, idle: 1000, total: 4000 }, // the users have stopped: mostly idle
    ];
    expect(idleOver(samples, 1000, 3000)).toBeCloseTo(1, 10);
    expect(idleOver(samples, 1200, 3900)).toBeCloseTo(1, 10);
    // Starting at 500 ms: from the sample at 1000, not the one at 0, so the start-up stays out.
    expect(idleOver(samples, 500, 3000)).toBeCloseTo(1, 10);
    expect(idleOver(samples, 0, 4000)).toBeCloseTo(25, 10);
  });

  it('when the window holds fewer than two samples, then there is no figure rather than one from outside it', () => {
    const samples: CpuSample[] = [
      { at: 100, idle: 0, total: 0 },
      { at: 200, idle: 10, total: 100 },
      { at: 300, idle: 60, total: 200 },
    ];
    expect(idleOver(samples, 0, 200)).toBeCloseTo(10, 10);
    expect(idleOver(samples, 0, 150)).toBeNaN();
    expect(idleOver(samples, 150, 250)).toBeNaN();
    expect(idleOver([], 0, 1000)).toBeNaN();
  });

  it('when a process has started others, then they are listed, and a process that is gone has none', async () => {
    const child = spawn('sleep', ['5']);
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      expect(childPids(process.pid)).toContain(child.pid);
    } finally {
      child.kill();
    }
    expect(childPids(2 ** 22 + 1)).toEqual([]);
  });
});
