import { applyEvent, createJobsState, type JobsState } from './journal-fold.js';
import { decodeRecord } from './journal-record.js';

const NEWLINE = 0x0a;

/** A bad line, numbered from 1 as an editor shows it. */
export interface BadLine {
  line: number;
  reason: string;
}

export interface Replay {
  /** The jobs folded from every record before the first bad one. */
  state: JobsState;
  /** How many records were folded. */
  records: number;
  /** Bytes those records take: where the file is cut when its tail is torn. */
  goodBytes: number;
  /** The last record was cut short or scribbled on: a crash during an append, nothing worse. */
  torn: BadLine | null;
  /** A bad record with records after it, or a whole record that cannot be right. */
  corrupt: (BadLine & { linesAfter: number }) | null;
}

/**
 * Folds the journal's bytes into jobs, in one pass. Only the last line may fail its checksum
 * and be called torn: an append is acknowledged after its fsync, so a crash can cut only the
 * record being written, and only at the end. A bad checksum anywhere else, or a record that was
 * written whole but cannot be right (bad JSON, an impossible event), means the file is damaged
 * or the writer had a bug; then replay stops there, since the events after it may depend on it.
 */
export function replayJournal(bytes: Buffer): Replay {
  const state = createJobsState();
  let records = 0;
  let start = 0;
  let line = 0;
  while (start < bytes.length) {
    line += 1;
    const end = bytes.indexOf(NEWLINE, start);
    if (end === -1) {
      const torn = { line, reason: `the last record is cut short (${bytes.length - start} bytes with no end of line)` };
      return { state, records, goodBytes: start, torn, corrupt: null };
    }
    const decoded = decodeRecord(bytes.subarray(start, end));
    const isLast = end === bytes.length - 1;
    let reason: string | null;
    if ('error' in decoded) {
      if (decoded.integrity && isLast) return { state, records, goodBytes: start, torn: { line, reason: `the last record fails its checksum (${decoded.error})` }, corrupt: null };
      reason = decoded.error;
    } else {
      reason = applyEvent(state, decoded.event);
    }
    if (reason !== null) {
      return { state, records, goodBytes: start, torn: null, corrupt: { line, reason, linesAfter: countLines(bytes, end + 1) } };
    }
    records += 1;
    start = end + 1;
  }
  return { state, records, goodBytes: start, torn: null, corrupt: null };
}

/** Lines from `start` to the end, a last one without its newline included. */
function countLines(bytes: Buffer, start: number): number {
  let lines = 0;
  for (let at = bytes.indexOf(NEWLINE, start); at !== -1; at = bytes.indexOf(NEWLINE, at + 1)) lines += 1;
  const lastEnd = bytes.lastIndexOf(NEWLINE);
  return lines + (bytes.length > Math.max(start, lastEnd + 1) ? 1 : 0);
}
