/** One request as a virtual user saw it. Times are epoch milliseconds (fractional). */
export interface RequestRecord {
  phase: number;
  user: number;
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
  /** Users keep sending past their quota until this epoch time (0: quota only). */
  until: number;
  timeoutMs: number;
}

export type ThreadMessage = { type: 'records'; records: RequestRecord[] } | { type: 'done' };

/** Something that happened to server2 or the registry during a phase, for reports and charts. */
export interface PhaseEvent {
  at: number;
  label: string;
  kind: 'stop' | 'start' | 'removed' | 'restored';
}
