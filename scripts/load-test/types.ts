/** One request as a virtual user saw it. Times are epoch milliseconds (fractional). */
export interface RequestRecord {
  phase: number;
  user: number;
  /** The request path (which number was asked). */
  path: string;
  start: number;
  latencyMs: number;
  /** HTTP status, or 0 when no answer came (timeout, connection error). */
  status: number;
  /** X-Served-By of the answer, if any. */
  server: string | null;
  /** Why it failed (`503 no_active_servers`, `timeout`, `ECONNRESET`…), null on success. */
  error: string | null;
}

/** What the main thread tells a thread of virtual users. */
export interface UsersJob {
  baseUrl: string;
  paths: string[];
  phase: number;
  firstUser: number;
  users: number;
  requestsPerUser: number;
  /** Users keep sending past their quota for this long after the start (0: quota only). */
  minDurationMs: number;
  timeoutMs: number;
}

/** Thread to main: `ready` once started (the phase clock starts when all are), then results. */
export type ThreadMessage = { type: 'ready' } | { type: 'records'; records: RequestRecord[] } | { type: 'done' };

/** Main to thread: start now; `startedAt` is the phase's common clock. */
export interface GoMessage {
  type: 'go';
  startedAt: number;
}

/** Something that happened to server2 or the registry during a phase, for reports and charts. */
export interface PhaseEvent {
  at: number;
  label: string;
  kind: 'stop' | 'start' | 'removed' | 'restored';
}
