import { prettyFactory } from 'pino-pretty';

/** At most this many request lines a second reach the terminal; the rest are counted. */
const REQUEST_LINES_PER_SECOND = 20;

/**
 * What `npm start` prints of its processes' pino lines. Not a terminal: the JSON lines as they
 * are. A terminal: readable lines (pino-pretty) for everything but the access log, and for the
 * access log a short line per request, at most REQUEST_LINES_PER_SECOND of them and then a
 * count each second: nobody reads hundreds of lines a second, and formatting them would take
 * CPU from the stack being watched (the log files keep every line).
 */
export function createTerminalLog({ tty, write, now = Date.now }: { tty: boolean; write: (text: string) => void; now?: () => number }) {
  if (!tty) return (line: string) => write(`${line}\n`);
  const pretty = prettyFactory({ colorize: true, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  let second = 0;
  let shown = 0;
  let skipped = 0;
  return (line: string): void => {
    if (!line.includes('"msg":"request completed"')) {
      write(pretty(line));
      return;
    }
    const at = now();
    const thisSecond = Math.floor(at / 1000);
    if (thisSecond !== second) {
      if (skipped > 0) write(`  … and ${skipped} more requests in that second (every one is in logs/)\n`);
      second = thisSecond;
      shown = 0;
      skipped = 0;
    }
    if (shown >= REQUEST_LINES_PER_SECOND) {
      skipped += 1;
      return;
    }
    shown += 1;
    write(accessLine(line, at));
  };
}

interface AccessRecord {
  name?: string;
  req?: { method?: string; url?: string };
  res?: { statusCode?: number };
  responseTime?: number;
  server?: string;
}

/** `12:25:20.915 balancer GET /is_prime/7 200 0.5 ms server1`. */
function accessLine(line: string, at: number): string {
  let record: AccessRecord;
  try {
    record = JSON.parse(line) as AccessRecord;
  } catch {
    return `${line}\n`;
  }
  const time = new Date(at).toTimeString().slice(0, 8);
  const served = record.server ? ` → ${record.server}` : '';
  return `${time} ${record.name ?? ''} ${record.req?.method ?? ''} ${record.req?.url ?? ''} ${record.res?.statusCode ?? ''} ${record.responseTime ?? ''} ms${served}\n`;
}
