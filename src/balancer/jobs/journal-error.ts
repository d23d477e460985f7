/**
 * Why the job store refused or failed. `code` is what callers branch on: `invalid_event` is a
 * bug in the caller (nothing was written), `io_error` is the disk (the message names the path),
 * `closed` is a call after close(), `locked` another balancer's data directory.
 */
export type JournalErrorCode = 'invalid_event' | 'io_error' | 'closed' | 'locked';

export class JournalError extends Error {
  constructor(
    readonly code: JournalErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'JournalError';
  }
}
