import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, createWriteStream, openSync, type WriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export type Program = 'balancer' | 'worker';

export interface ProcessOptions {
  /** Shown in logs and used for the log file name. */
  name: string;
  program: Program;
  env: Record<string, string>;
  /** Appends every line the process prints to this file. */
  logFile?: string;
  /** Called with every line the process prints (stdout and stderr). */
  onLine?: (line: string) => void;
  onExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
  /** A command to run node under, such as `['ip', 'netns', 'exec', 'ns1']` (it must exec). */
  wrap?: readonly string[];
  /**
   * Send the output straight to `logFile` instead of through this process (for benchmarks:
   * reading and copying every line here costs CPU the process under test would not have).
   * Readiness is then found by polling `/health_check` on the fixed PORT.
   */
  direct?: boolean;
}

export type LogRecord = Record<string, unknown> & { msg?: string };

const here = dirname(fileURLToPath(import.meta.url));

// Children run in their own process groups (see start), so nothing else stops them if this
// process dies first: kill whatever is still running on the way out.
const living = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of living) child.kill('SIGKILL');
});
// Run from TypeScript sources (tsx) when this file is TypeScript, from dist/ when compiled.
const fromSources = import.meta.url.endsWith('.ts');
export const projectRoot = resolve(here, fromSources ? '../..' : '../../..');

/**
 * Node's flags for each program, as its Dockerfile and `npm run start:<program>` give them. The
 * balancer's young generation of 64 MiB (Node's default is 16) is collected half as often under
 * load: 11-15 % less CPU per light request, measured (docs/operations.md).
 */
export const NODE_FLAGS: Record<Program, string[]> = { balancer: ['--max-semi-space-size=64'], worker: [] };

function entryArgs(program: Program): string[] {
  const base = fromSources ? join(projectRoot, 'src') : join(projectRoot, 'dist', 'src');
  const entry = join(base, program, `main.${fromSources ? 'ts' : 'js'}`);
  return [...NODE_FLAGS[program], ...(fromSources ? ['--import', 'tsx'] : []), entry];
}

/**
 * One balancer or worker running as a child process, as it would in production: its own
 * pino stream, real signals. Knows when it is listening (from its "listening" log line) and
 * keeps its log records so that callers can wait for a particular one.
 */
export class ManagedProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);
  private file: WriteStream | undefined;
  private readonly records: LogRecord[] = [];
  /** The last lines as printed, JSON or not (a crash's stack trace is not JSON). */
  private readonly lastLines: string[] = [];
  private readonly watchers = new Set<(record: LogRecord) => void>();
  port: number | undefined;

  constructor(readonly options: ProcessOptions) {}

  get name(): string {
    return this.options.name;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Log records seen so far (parsed pino lines). */
  get logs(): readonly LogRecord[] {
    return this.records;
  }

  /** Starts the process and resolves with its port once it is listening. */
  async start(extraEnv: Record<string, string> = {}, timeoutMs = 15_000): Promise<number> {
    if (this.running) throw new Error(`${this.name} is already running`);
    const env = { ...process.env, ...this.options.env, ...extraEnv };
    if (this.options.direct) return this.startDirect(env, timeoutMs);
    this.file ??= this.options.logFile ? createWriteStream(this.options.logFile, { flags: 'a' }) : undefined;
    const [command, ...prefix] = [...(this.options.wrap ?? []), process.execPath];
    const child = spawn(command!, [...prefix, ...entryArgs(this.options.program)], {
      cwd: projectRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a Ctrl-C in the terminal reaches only the launcher, which then
      // stops each process in order, instead of every process at once.
      detached: true,
    });
    living.add(child);
    child.once('exit', (code, signal) => {
      living.delete(child);
      this.options.onExit?.(code, signal);
    });
    this.child = child;
    this.exited = new Promise((resolveExit) => child.once('exit', (code) => resolveExit(code)));
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => this.onLine(line));
    }
    const listening = this.waitForLog((r) => r.msg === 'listening', timeoutMs, { onlyNew: true });
    const died = this.exited.then((code) => {
      throw new Error(`${this.name} exited with ${code} before listening:\n${this.tail()}`);
    });
    const record = await Promise.race([listening, died]);
    this.port = Number(record.port);
    return this.port;
  }

  private async startDirect(env: NodeJS.ProcessEnv, timeoutMs: number): Promise<number> {
    const port = Number(env.PORT);
    if (!this.options.logFile || !Number.isInteger(port) || port <= 0) throw new Error('direct output needs a logFile and a fixed PORT');
    // Readiness is an answer on the port: one from a process left over from an earlier run would
    // pass for this one's while this one fails to listen (and a bench would measure the other).
    const taken = await fetch(`http://127.0.0.1:${port}/health_check`).then(
      () => true,
      () => false,
    );
    if (taken) throw new Error(`${this.name}: port ${port} already answers; stop what listens there first`);
    const fd = openSync(this.options.logFile, 'a');
    const child = spawn(process.execPath, entryArgs(this.options.program), { cwd: projectRoot, env, stdio: ['ignore', fd, fd], detached: true });
    closeSync(fd);
    this.child = child;
    living.add(child);
    this.exited = new Promise((resolveExit) =>
      child.once('exit', (code, signal) => {
        living.delete(child);
        this.options.onExit?.(code, signal);
        resolveExit(code);
      }),
    );
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited before listening; see ${this.options.logFile}`);
      try {
        await fetch(`http://127.0.0.1:${port}/health_check`);
        this.port = port;
        return port;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new Error(`${this.name} did not answer on port ${port} within ${timeoutMs} ms`);
  }

  /** Sends a signal and resolves with the exit code (null when killed by a signal). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<number | null> {
    if (!this.running) return this.exited;
    this.child?.kill(signal);
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /** Resolves with the first matching record: an earlier one too, unless `onlyNew`. */
  waitForLog(match: (record: LogRecord) => boolean, timeoutMs = 10_000, { onlyNew = false } = {}): Promise<LogRecord> {
    const seen = onlyNew ? undefined : this.records.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolveRecord, reject) => {
      const timer = setTimeout(() => {
        this.watchers.delete(watch);
        reject(new Error(`${this.name}: no matching log line within ${timeoutMs} ms:\n${this.tail()}`));
      }, timeoutMs);
      const watch = (record: LogRecord): void => {
        if (!match(record)) return;
        clearTimeout(timer);
        this.watchers.delete(watch);
        resolveRecord(record);
      };
      this.watchers.add(watch);
    });
  }

  async close(): Promise<void> {
    await this.stop('SIGKILL');
    await new Promise<void>((done) => (this.file ? this.file.end(done) : done()));
    this.file = undefined;
  }

  private onLine(line: string): void {
    this.file?.write(`${line}\n`);
    this.options.onLine?.(line);
    this.lastLines.push(line);
    if (this.lastLines.length > 12) this.lastLines.shift();
    // Per-request lines are most of the volume and nobody waits for one: skip parsing them.
    if (line.includes('"msg":"request completed"')) return;
    let record: LogRecord;
    try {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed !== 'object' || parsed === null) return;
      record = parsed as LogRecord;
    } catch {
      return;
    }
    // Bounded: a long load test must not grow memory without limit.
    if (this.records.length >= 20_000) this.records.splice(0, 10_000);
    this.records.push(record);
    for (const watch of [...this.watchers]) watch(record);
  }

  private tail(): string {
    return this.lastLines.join('\n');
  }
}
