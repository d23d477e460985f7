/**
 * Reading typed values out of an environment map, collecting every problem instead of
 * stopping at the first, so that a bad start names all the variables that need fixing.
 */
export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** The longest delay Node's timers keep (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;

export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  private raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  private fail<T>(name: string, message: string, fallback: T): T {
    this.problems.push(`${name}: ${message}`);
    return fallback;
  }

  int(name: string, fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    if (!/^-?\d+$/.test(raw)) return this.fail(name, `expected a whole number, got "${raw}"`, fallback);
    const value = Number(raw);
    if (value < min || value > max) {
      return this.fail(name, `must be between ${min} and ${max}, got ${value}`, fallback);
    }
    return value;
  }

  /**
   * A time in milliseconds, at most MAX_TIMER_MS: Node fires a longer timer after 1 ms, so a
   * timeout set beyond it would end every wait at once.
   */
  ms(name: string, fallback: number, { min = 0, max = MAX_TIMER_MS } = {}): number {
    return this.int(name, fallback, { min, max: Math.min(max, MAX_TIMER_MS) });
  }

  /** A whole number in range, or one of `words` (such as `auto`). */
  intOr<T extends string>(name: string, fallback: number | T, words: readonly T[], range: { min?: number; max?: number } = {}): number | T {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    if ((words as readonly string[]).includes(raw)) return raw as T;
    if (!/^-?\d+$/.test(raw)) return this.fail(name, `expected a whole number or ${words.join(' or ')}, got "${raw}"`, fallback);
    return this.int(name, 0, range);
  }

  string(name: string, fallback: string, pattern?: RegExp): string {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    if (pattern && !pattern.test(raw)) return this.fail(name, `"${raw}" does not match ${pattern}`, fallback);
    return raw;
  }

  optionalString(name: string, { minLength = 1 } = {}): string | undefined {
    const raw = this.raw(name);
    if (raw === undefined) return undefined;
    if (raw.length < minLength) return this.fail(name, `must be at least ${minLength} characters`, undefined);
    return raw;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      return this.fail(name, `must be one of ${allowed.join(', ')}, got "${raw}"`, fallback);
    }
    return raw as T;
  }

  /** A comma-separated list; each item must pass `valid`, which returns a problem or undefined. */
  list(name: string, valid: (item: string) => string | undefined): string[] {
    const raw = this.raw(name);
    if (raw === undefined) return [];
    const items = raw.split(',').map((item) => item.trim()).filter((item) => item !== '');
    const problems = items.map(valid).filter((p): p is string => p !== undefined);
    if (problems.length > 0) return this.fail(name, problems.join('; '), []);
    return items;
  }

  /** An http(s) origin such as `http://server1:5000`, returned without a trailing slash. */
  origin(name: string, fallback: string): string;
  origin(name: string, fallback: undefined): string | undefined;
  origin(name: string, fallback: string | undefined): string | undefined {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    return parseOrigin(raw) ?? this.fail(name, `expected an http(s) URL with host and port only, got "${raw}"`, fallback);
  }

  /** A comma-separated list of http(s) origins, at least one. */
  origins(name: string, fallback: readonly string[]): string[] {
    const raw = this.raw(name);
    if (raw === undefined) return [...fallback];
    const items = raw.split(',').map((item) => item.trim()).filter((item) => item !== '');
    const parsed = items.map(parseOrigin);
    const bad = items.filter((_, i) => parsed[i] === undefined);
    if (items.length === 0 || bad.length > 0) {
      const problem = bad.length > 0 ? `not http(s) URLs with host and port only: ${bad.map((b) => `"${b}"`).join(', ')}` : 'is empty';
      return this.fail(name, `expected one or more comma-separated http(s) URLs; ${problem}`, [...fallback]);
    }
    return [...new Set(parsed as string[])];
  }

  /** Throws a ConfigError naming every bad variable read so far. */
  done(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}

/** `http://server1:5000/` as `http://server1:5000`; undefined unless scheme, host and port only. */
function parseOrigin(raw: string): string | undefined {
  try {
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** For a program's main: loads its config, or prints every problem and exits 2. */
export function loadConfigOrExit<T>(program: string, load: (env: Env) => T, env: Env): T {
  try {
    return load(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`${program}: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
}
