import { EnvReader, LOG_LEVELS, type Env, type LogLevel } from '../shared/env.js';
import { MAX_DIGITS_LIMIT } from '../shared/number.js';
import { validHostPattern } from './workers/host-allow-list.js';
import type { SelectionName } from './workers/selection.js';

export interface BalancerConfig {
  port: number;
  host: string;
  logLevel: LogLevel;
  maxDigits: number;
  requestTimeoutMs: number;
  healthCheckIntervalMs: number;
  healthCheckTimeoutMs: number;
  idleCheckAfterMs: number;
  registrationToken: string | undefined;
  maxServers: number;
  shutdownTimeoutMs: number;
  requestDeadlineMs: number;
  maxTries: number;
  failureThreshold: number;
  recoveryThreshold: number;
  maxInFlightPerServer: number;
  maxQueue: number;
  queueTimeoutMs: number;
  /** After start, how long a request may wait for the first worker to announce itself. */
  startupWaitMs: number;
  selection: SelectionName;
  /**
   * A light request not answered in this long also goes to a second server; 0: never; `auto`:
   * after the 95th percentile of recent light answer times (routing/hedging.ts).
   */
  hedgeAfterMs: number | 'auto';
  hedgeBudgetPercent: number;
  forgetAfterMs: number;
  /** Hosts (names or IP ranges in CIDR) that may register; an empty list lets every host register. */
  allowedServerHosts: string[];
  /** Where the job journal lives (jobs survive a restart through it). */
  dataDir: string;
  /** The time one task of a job should take on a worker. */
  taskTargetMs: number;
  /** The most numbers one task may cover (the workers' MAX_TASK_SPAN should be at least this). */
  maxTaskSpan: bigint;
  /** A task attempt not answered in this long has failed. */
  taskTimeoutMs: number;
  /** A job that finds no active worker for this long fails. */
  jobStallTimeoutMs: number;
  maxRunningJobs: number;
  maxQueuedJobs: number;
  /** Finished jobs kept, at most this many, for at most jobsKeepMs. */
  jobsKeep: number;
  jobsKeepMs: number;
}

/** Reads and validates the balancer's configuration; throws ConfigError naming every bad variable. */
export function loadBalancerConfig(env: Env): BalancerConfig {
  const read = new EnvReader(env);
  const config: BalancerConfig = {
    port: read.int('PORT', 9000, { min: 0, max: 65535 }),
    host: read.string('HOST', '0.0.0.0'),
    logLevel: read.oneOf('LOG_LEVEL', 'info', LOG_LEVELS),
    maxDigits: read.int('MAX_DIGITS', 2000, { min: 1, max: MAX_DIGITS_LIMIT }),
    requestTimeoutMs: read.ms('REQUEST_TIMEOUT_MS', 30_000, { min: 10 }),
    healthCheckIntervalMs: read.ms('HEALTH_CHECK_INTERVAL_MS', 5_000, { min: 10 }),
    healthCheckTimeoutMs: read.ms('HEALTH_CHECK_TIMEOUT_MS', 2_000, { min: 10 }),
    idleCheckAfterMs: read.ms('IDLE_CHECK_AFTER_MS', 10_000, { min: 0 }),
    registrationToken: read.optionalString('REGISTRATION_TOKEN', { minLength: 16 }),
    maxServers: read.int('MAX_SERVERS', 64, { min: 1, max: 10_000 }),
    // As long as a try may take (REQUEST_TIMEOUT_MS's default): a heavy check in flight is answered.
    shutdownTimeoutMs: read.ms('SHUTDOWN_TIMEOUT_MS', 30_000, { min: 100 }),
    requestDeadlineMs: read.ms('REQUEST_DEADLINE_MS', 60_000, { min: 10 }),
    maxTries: read.int('MAX_TRIES', 3, { min: 1, max: 100 }),
    failureThreshold: read.int('FAILURE_THRESHOLD', 1, { min: 1, max: 1000 }),
    recoveryThreshold: read.int('RECOVERY_THRESHOLD', 1, { min: 1, max: 1000 }),
    maxInFlightPerServer: read.int('MAX_IN_FLIGHT_PER_SERVER', 64, { min: 1, max: 100_000 }),
    maxQueue: read.int('MAX_QUEUE', 1000, { min: 0, max: 1_000_000 }),
    queueTimeoutMs: read.ms('QUEUE_TIMEOUT_MS', 10_000, { min: 0 }),
    // Running workers announce themselves again within their ANNOUNCE_INTERVAL_MS (10 s).
    startupWaitMs: read.ms('STARTUP_WAIT_MS', 10_000, { min: 0, max: 600_000 }),
    allowedServerHosts: read.list('ALLOWED_SERVER_HOSTS', validHostPattern),
    forgetAfterMs: read.ms('SERVER_FORGET_AFTER_MS', 300_000, { min: 1_000 }),
    hedgeAfterMs: read.intOr('HEDGE_AFTER_MS', 0, ['auto'] as const, { min: 0, max: 60_000 }),
    hedgeBudgetPercent: read.int('HEDGE_BUDGET_PERCENT', 10, { min: 1, max: 100 }),
    selection: read.oneOf('SELECTION', 'least_outstanding', ['least_outstanding', 'round_robin'] as const),
    dataDir: read.string('DATA_DIR', 'data'),
    taskTargetMs: read.ms('TASK_TARGET_MS', 300, { min: 10, max: 60_000 }),
    maxTaskSpan: BigInt(read.int('MAX_TASK_SPAN', 10_000_000_000, { min: 1_000_000, max: 1_000_000_000_000 })),
    taskTimeoutMs: read.ms('TASK_TIMEOUT_MS', 60_000, { min: 100 }),
    jobStallTimeoutMs: read.ms('JOB_STALL_TIMEOUT_MS', 60_000, { min: 100 }),
    maxRunningJobs: read.int('MAX_RUNNING_JOBS', 1, { min: 1, max: 100 }),
    maxQueuedJobs: read.int('MAX_QUEUED_JOBS', 16, { min: 0, max: 10_000 }),
    jobsKeep: read.int('JOBS_KEEP', 100, { min: 1, max: 100_000 }),
    jobsKeepMs: read.ms('JOBS_KEEP_MS', 86_400_000, { min: 1_000 }),
  };
  read.done();
  return config;
}
