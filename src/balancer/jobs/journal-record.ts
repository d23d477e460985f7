import { hash } from 'node:crypto';
import { parseEvent } from './journal-event.js';
import type { JournalEvent } from './journal-types.js';

/**
 * The journal's line format, one event per line (NDJSON with a checksum in front):
 *
 *     <checksum> <event JSON>\n
 *
 * `<checksum>` is the first 16 hex digits (64 bits) of the SHA-256 of the event JSON's exact
 * UTF-8 bytes. It is computed over the bytes as written, not a re-serialisation, so a record
 * passes only if every byte of it is the byte written; a cut or scribbled line fails.
 * JSON.stringify escapes newlines in strings, so `\n` only ever ends a record. SHA-256 rather
 * than CRC-32 because Node 20 has no zlib.crc32, and hashing a record takes about a microsecond.
 * A later format would start its lines differently (no 16-hex prefix and space) so that it
 * cannot be mistaken for this one.
 *
 * Example:
 *
 *     a0a59d25d47eea51 {"type":"started","id":"j1","at":1714564800000}
 */

const CHECKSUM_CHARS = 16;
const SPACE = 0x20;
const HEX = /^[0-9a-f]{16}$/;

export function encodeRecord(event: JournalEvent): string {
  const json = JSON.stringify(event);
  return `${checksum(json)} ${json}\n`;
}

/**
 * Reads one line (without its `\n`). `integrity` failures are bytes that are not what was
 * written (a torn or scribbled record); the others are records written whole but wrong.
 */
export type DecodedRecord = { event: JournalEvent } | { error: string; integrity: boolean };

export function decodeRecord(line: Buffer): DecodedRecord {
  const prefix = line.toString('latin1', 0, CHECKSUM_CHARS);
  if (line.length <= CHECKSUM_CHARS + 1 || line[CHECKSUM_CHARS] !== SPACE || !HEX.test(prefix)) {
    return { error: 'not a record (no checksum in front)', integrity: true };
  }
  const body = line.subarray(CHECKSUM_CHARS + 1);
  if (checksum(body) !== prefix) return { error: 'checksum mismatch', integrity: true };
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return { error: 'checksum matches but the JSON does not parse', integrity: false };
  }
  const parsed = parseEvent(value);
  return 'event' in parsed ? parsed : { error: `malformed event: ${parsed.error}`, integrity: false };
}

/** crypto.hash, one call a record, is markedly faster than createHash for lines this short. */
function checksum(data: string | Buffer): string {
  return hash('sha256', data, 'hex').slice(0, CHECKSUM_CHARS);
}
