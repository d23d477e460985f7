import { EnvReader, LOG_LEVELS, type Env, type LogLevel } from '../shared/env.js';

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
}

/** Reads and validates the balancer's configuration; throws ConfigError naming every bad variable. */
export function loadBalancerConfig(env: Env): BalancerConfig {
  const read = new EnvReader(env);
  const config: BalancerConfig = {
    port: read.int('PORT', 9000, { min: 0, max: 65535 }),
    host: read.string('HOST', '0.0.0.0'),
    logLevel: read.oneOf('LOG_LEVEL', 'info', LOG_LEVELS),
    maxDigits: read.int('MAX_DIGITS', 2000, { min: 1, max: 100_000 }),
    requestTimeoutMs: read.int('REQUEST_TIMEOUT_MS', 30_000, { min: 10 }),
    healthCheckIntervalMs: read.int('HEALTH_CHECK_INTERVAL_MS', 5_000, { min: 10 }),
    healthCheckTimeoutMs: read.int('HEALTH_CHECK_TIMEOUT_MS', 2_000, { min: 10 }),
    idleCheckAfterMs: read.int('IDLE_CHECK_AFTER_MS', 10_000, { min: 0 }),
    registrationToken: read.optionalString('REGISTRATION_TOKEN', { minLength: 16 }),
    maxServers: read.int('MAX_SERVERS', 64, { min: 1, max: 10_000 }),
    shutdownTimeoutMs: read.int('SHUTDOWN_TIMEOUT_MS', 10_000, { min: 100 }),
  };
  read.done();
  return config;
}
