import { availableParallelism, hostname } from 'node:os';
import { EnvReader, LOG_LEVELS, type Env, type LogLevel } from '../shared/env.js';
import { MAX_DIGITS_LIMIT } from '../shared/number.js';

export interface WorkerConfig {
  port: number;
  host: string;
  name: string;
  /**
   * The URL the balancer should use to reach this worker: an origin, `auto` (its own network
   * address, see advertised-url.ts), or unset (loopback and its port).
   */
  advertisedUrl: string | undefined;
  /** The balancers it announces itself to (BALANCER_URL, comma-separated; a name may stand for several). */
  balancerUrls: string[];
  registrationToken: string | undefined;
  announceIntervalMs: number;
  announceRetryMaxMs: number;
  shutdownTimeoutMs: number;
  maxDigits: number;
  logLevel: LogLevel;
  /**
   * Large checks and prime counts it runs at once (its calculator's threads, one per core by
   * default), told to the balancer so that it never sends more.
   */
  capacity: number;
  /** Most numbers one `/count_primes` task may span (to − from + 1). */
  maxTaskSpan: number;
}

export const DEFAULT_MAX_TASK_SPAN = 10_000_000_000;

const NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** Reads and validates the worker's configuration; throws ConfigError naming every bad variable. */
export function loadWorkerConfig(env: Env): WorkerConfig {
  const read = new EnvReader(env);
  const port = read.int('PORT', 5000, { min: 0, max: 65535 });
  const auto = env.ADVERTISED_URL?.trim() === 'auto';
  const config: WorkerConfig = {
    port,
    host: read.string('HOST', '0.0.0.0'),
    // A scaled replica's name must differ from its siblings': its host name (a container's id) does.
    name: read.string('SERVER_NAME', auto ? nameFromHost(hostname()) : `server-${port}`, NAME),
    advertisedUrl: auto ? 'auto' : read.origin('ADVERTISED_URL', undefined),
    balancerUrls: read.origins('BALANCER_URL', ['http://127.0.0.1:9000']),
    registrationToken: read.optionalString('REGISTRATION_TOKEN', { minLength: 16 }),
    announceIntervalMs: read.ms('ANNOUNCE_INTERVAL_MS', 10_000, { min: 50 }),
    announceRetryMaxMs: read.ms('ANNOUNCE_RETRY_MAX_MS', 5_000, { min: 50 }),
    // As long as the balancer waits for an answer (its REQUEST_TIMEOUT_MS): a check of MAX_DIGITS
    // digits can take longer than 10 s, and is finished rather than cut off and run again elsewhere.
    shutdownTimeoutMs: read.ms('SHUTDOWN_TIMEOUT_MS', 30_000, { min: 100 }),
    maxDigits: read.int('MAX_DIGITS', 2000, { min: 1, max: MAX_DIGITS_LIMIT }),
    logLevel: read.oneOf('LOG_LEVEL', 'info', LOG_LEVELS),
    // More checks at once than cores only makes each one slower.
    capacity: read.int('CAPACITY', availableParallelism(), { min: 1, max: 1024 }),
    // 10^10 numbers keep one sieving thread busy for seconds to tens of seconds (more near
    // 2^53): long enough to be worth a request, short enough that a lost task is cheap to redo.
    maxTaskSpan: read.int('MAX_TASK_SPAN', DEFAULT_MAX_TASK_SPAN, { min: 1, max: Number.MAX_SAFE_INTEGER }),
  };
  read.done();
  return config;
}

/** A host name as a SERVER_NAME: the characters a name may have, at most 64 of them. */
function nameFromHost(host: string): string {
  const name = host.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64);
  return name === '' ? 'server' : name;
}
