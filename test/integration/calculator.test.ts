import { checkPrimeSync } from 'node:crypto';
import { accessSync, constants, readFileSync, readdirSync } from 'node:fs';
import { release } from 'node:os';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManagedProcess } from '../../scripts/lib/managed-process.js';
import { CancelledError, createCalculator, type Calculator } from '../../src/worker/calculator.js';
import { IDLE_CPU_GROUP, LOWEST_NICE, cpuCgroupPath, idleGroupDir } from '../../src/worker/priority.js';
import { captureLogger } from '../support/logger.js';
import { eventually, sleep } from '../support/processes.js';

const linux = process.platform === 'linux';

/** cpu.idle came with Linux 5.15. */
function kernelAtLeast(major: number, minor: number): boolean {
  const [a = 0, b = 0] = release().split('.').map(Number);
  return a > major || (a === major && b >= minor);
}

/** Whether this process may write in a directory (a read-only cgroup mount says no). */
function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Nice value of every thread of a process (field 19 of /proc/<pid>/task/<tid>/stat). */
function niceOfThreads(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(fields[16]);
  });
}

/** CPU ticks (user and system, 10 ms each) a process has used (fields 14 and 15 of its stat). */
function cpuOfProcess(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** CPU ticks (user) each thread of a process has used, by thread id (field 14 of its stat). */
function cpuOfThreads(pid: number): Map<string, number> {
  return new Map(readdirSync(`/proc/${pid}/task`).map((tid) => {
    const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return [tid, Number(fields[11])];
  }));
}

/** Running (a zombie waiting to be reaped by whoever adopted it counts as gone). */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (!linux) return true;
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0] !== 'Z';
  } catch {
    return false;
  }
};

/** Three Mersenne primes, then 2^1279+1 (divisible by 3) and a product of two Mersenne primes. */
const LARGE = [2n ** 521n - 1n, 2n ** 607n - 1n, 2n ** 1279n - 1n, 2n ** 1279n + 1n, (2n ** 89n - 1n) * (2n ** 107n - 1n)];

let calculator: Calculator | undefined;
const workers: ManagedProcess[] = [];
afterEach(async () => {
  await calculator?.close();
  calculator = undefined;
  await Promise.all(workers.splice(0).map((w) => w.close()));
});

describe('calculator process', () => {
  it('when asked about large numbers, then it answers exactly what OpenSSL answers in-process', async () => {
    calculator = createCalculator({ threads: 2, logger: captureLogger().logger });
    const answers = await Promise.all(LARGE.map((n) => calculator!.isPrime(n)));
    expect(answers).toEqual(LARGE.map((n) => checkPrimeSync(n, { checks: 64 })));
    expect(answers).toEqual([true, true, true, false, false]);
  });

  it.runIf(linux)('when running, then every one of its threads is at the lowest priority, and the worker keeps its own', async () => {
    const { logger, records } = captureLogger();
    calculator = createCalculator({ threads: 2, logger });
    await calculator.isPrime(2n ** 521n - 1n);
    const pid = calculator.pid!;
    expect(niceOfThreads(pid).every((nice) => nice === LOWEST_NICE)).toBe(true);
    expect(niceOfThreads(process.pid)).toContain(0);
    expect(records.find((r) => r.msg === 'calculator ready')).toMatchObject({ calculatorPid: pid, threads: 2 });
  });

  it.runIf(linux)('when the worker may make an idle CPU cgroup, then its calculator runs in it; otherwise it stays where the worker is', async () => {
    const { logger, records } = captureLogger();
    calculator = createCalculator({ threads: 1, logger });
    await calculator.isPrime(2n ** 127n - 1n);
    const own = readFileSync('/proc/self/cgroup', 'utf8');
    const dir = idleGroupDir({
      procCgroup: own,
      mountinfo: readFileSync('/proc/self/mountinfo', 'utf8'),
      subtreeControl: (mount) => readFileSync(`${mount}/cgroup.subtree_control`, 'utf8'),
    });
    const ready = records.find((r) => r.msg === 'calculator ready') as { lowestPriority: { idleGroup: boolean; autogroup: boolean } };
    const where = cpuCgroupPath(readFileSync(`/proc/${calculator.pid!}/cgroup`, 'utf8'));
    // Where the move is known to be possible (root, a writable hierarchy, a kernel with
    // cpu.idle: this project's CI machine), it must have happened.
    if (dir && process.getuid?.() === 0 && writable(dirname(dir)) && kernelAtLeast(5, 15)) {
      expect(ready.lowestPriority).toMatchObject({ idleGroup: true, autogroup: false });
    }
    if (ready.lowestPriority.idleGroup) {
      expect(where).toBe(`/${IDLE_CPU_GROUP}`);
      expect(readFileSync(`${dir}/cpu.idle`, 'utf8').trim()).toBe('1');
    } else {
      expect(where).toBe(cpuCgroupPath(own));
    }
  });

  it.runIf(linux)('when it is killed mid-calculation, then that check fails with a clear error and the next one starts a new calculator', async () => {
    const { logger, records } = captureLogger();
    calculator = createCalculator({ threads: 1, logger });
    await calculator.isPrime(2n ** 127n - 1n);
    const first = calculator.pid!;
    const inFlight = calculator.isPrime(2n ** 3217n - 1n);
    await sleep(50);
    process.kill(first, 'SIGKILL');
    await expect(inFlight).rejects.toThrow(/calculator exited \(SIGKILL\)/);
    expect(records.some((r) => r.msg?.toString().startsWith('calculator stopped'))).toBe(true);

    expect(await calculator.isPrime(2n ** 607n - 1n)).toBe(true);
    expect(calculator.pid).not.toBe(first);
  });

  it('when asked to count primes, then a sieving thread answers the counts and the first and last prime', async () => {
    calculator = createCalculator({ threads: 2, logger: captureLogger().logger });
    const [small, large] = await Promise.all([calculator.countPrimes(0, 100), calculator.countPrimes(1e12, 1e12 + 1e6)]);
    expect(small).toEqual({ primes: 25, twinPrimes: 8, firstPrime: 2, lastPrime: 97 });
    // primesieve 1e12 1e12+1e6 -c1 -c2: 36249 primes, 1746 twin pairs.
    expect(large).toMatchObject({ primes: 36249, twinPrimes: 1746, firstPrime: 1e12 + 39 });
  });

  it.runIf(linux)('when a count runs, then the thread doing it is a thread of its own at the lowest priority, in the calculator’s CPU cgroup', async () => {
    calculator = createCalculator({ threads: 1, logger: captureLogger().logger });
    await calculator.countPrimes(0, 10);
    const pid = calculator.pid!;
    const controller = new AbortController();
    const running = calculator.countPrimes(1e15, 1e15 + 1e10, controller.signal).catch((err: unknown) => err);
    const before = cpuOfThreads(pid);
    let busiest: string | undefined;
    // The sieving thread is the one burning CPU (at nice 19 it may have to wait for it).
    await eventually(async () => {
      const grown = [...cpuOfThreads(pid)].map(([tid, ticks]) => [tid, ticks - (before.get(tid) ?? 0)] as const).sort((a, b) => b[1] - a[1]);
      if (grown[0] && grown[0][1] >= 20) busiest = grown[0][0];
      return busiest !== undefined;
    }, 10_000, 100);
    expect(busiest).toBeDefined();
    expect(busiest).not.toBe(String(pid));
    const fields = readFileSync(`/proc/${pid}/task/${busiest}/stat`, 'utf8').split(') ')[1]!.split(' ');
    expect(Number(fields[16])).toBe(LOWEST_NICE);
    expect(readFileSync(`/proc/${pid}/task/${busiest}/cgroup`, 'utf8')).toBe(readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
    controller.abort();
    expect(await running).toBeInstanceOf(CancelledError);
  });

  it.runIf(linux)('when a long count is cancelled, then it stops within a segment and its thread takes the next count', async () => {
    calculator = createCalculator({ threads: 1, logger: captureLogger().logger });
    await calculator.countPrimes(0, 10);
    const pid = calculator.pid!;
    const controller = new AbortController();
    // Tens of seconds of work for one thread.
    const running = calculator.countPrimes(1e15, 1e15 + 1e10, controller.signal);
    // Running: past its set-up, into its segments.
    const started = cpuOfProcess(pid);
    expect(await eventually(async () => cpuOfProcess(pid) - started >= 50, 20_000, 50)).toBe(true);
    const atAbort = cpuOfProcess(pid);
    controller.abort();
    await expect(running).rejects.toBeInstanceOf(CancelledError);
    // CPU time, not wall time: at idle priority on a busy machine the thread may wait seconds
    // for the CPU, but once it runs it stops within a segment (milliseconds near 10^15).
    expect(cpuOfProcess(pid) - atAbort).toBeLessThan(30);
    expect(await calculator.countPrimes(0, 1000)).toMatchObject({ primes: 168 });
  });

  it('when a count is cancelled before it was sent, then it is refused at once', async () => {
    calculator = createCalculator({ threads: 1, logger: captureLogger().logger });
    const controller = new AbortController();
    controller.abort();
    await expect(calculator.countPrimes(0, 10, controller.signal)).rejects.toBeInstanceOf(CancelledError);
  });

  it('when closed, then its process exits and further checks are refused', async () => {
    calculator = createCalculator({ threads: 1, logger: captureLogger().logger });
    await calculator.isPrime(2n ** 127n - 1n);
    const pid = calculator.pid!;
    await calculator.close();
    expect(alive(pid)).toBe(false);
    await expect(calculator.isPrime(2n ** 127n - 1n)).rejects.toThrow('calculator closed');
  });
});

describe('worker with its calculator', () => {
  async function startWorker(): Promise<{ worker: ManagedProcess; url: string; calculatorPid: number }> {
    // No balancer: the worker keeps retrying its announcement, which does not matter here.
    const worker = new ManagedProcess({ name: 'server1', program: 'worker', env: { HOST: '127.0.0.1', PORT: '0', CAPACITY: '2', BALANCER_URL: 'http://127.0.0.1:9', LOG_LEVEL: 'info' } });
    workers.push(worker);
    const port = await worker.start();
    const ready = await worker.waitForLog((r) => r.msg === 'calculator ready');
    return { worker, url: `http://127.0.0.1:${port}`, calculatorPid: Number(ready.calculatorPid) };
  }

  it('when it is busy with more large checks than it has threads, then health checks and small numbers are still answered at once', async () => {
    const { url } = await startWorker();
    const heavy = Array.from({ length: 6 }, () => fetch(`${url}/is_prime/${2n ** 2203n - 1n}`));
    await sleep(100);
    const slowest = { health: 0, light: 0 };
    for (let i = 0; i < 10; i++) {
      for (const [kind, path] of [['health', '/health_check'], ['light', '/is_prime/524287']] as const) {
        const started = performance.now();
        const res = await fetch(`${url}${path}`);
        expect(res.status).toBe(200);
        slowest[kind] = Math.max(slowest[kind], performance.now() - started);
      }
    }
    // One check of 2^2203-1 takes about half a second here; waiting behind one would show.
    expect(slowest.health).toBeLessThan(250);
    expect(slowest.light).toBeLessThan(250);
    const answers = await Promise.all(heavy.map(async (r) => ((await (await r).json()) as { is_prime: boolean }).is_prime));
    expect(answers).toEqual(Array(6).fill(true));
  });

  it.runIf(linux)('when the worker is killed with SIGKILL, then its calculator does not outlive it', async () => {
    const { worker, url, calculatorPid } = await startWorker();
    // Busy with a check of about two seconds: an idle child might end just for lack of work.
    void fetch(`${url}/is_prime/${2n ** 3217n - 1n}`).catch(() => {});
    await sleep(200);
    expect(alive(calculatorPid)).toBe(true);
    await worker.stop('SIGKILL');
    expect(await eventually(async () => !alive(calculatorPid), 1_000)).toBe(true);
  });

  it('when the worker stops with SIGTERM, then its calculator stops with it', async () => {
    const { worker, calculatorPid } = await startWorker();
    await worker.stop('SIGTERM');
    expect(await eventually(async () => !alive(calculatorPid), 3_000)).toBe(true);
  });
});
