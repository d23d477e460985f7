import { describe, expect, it } from 'vitest';
import { createTerminalLog } from '../../../scripts/lib/terminal-log.js';

const request = (n: number) =>
  JSON.stringify({ level: 'info', time: 0, name: 'balancer', req: { method: 'GET', url: `/is_prime/${n}` }, res: { statusCode: 200 }, responseTime: 1, server: 'server1', msg: 'request completed' });
const event = JSON.stringify({ level: 'warn', time: Date.UTC(2026, 0, 1), name: 'balancer', msg: 'server server2 is inactive', reason: 'ECONNREFUSED' });

function capture(tty: boolean) {
  const out: string[] = [];
  let now = 1_000_000;
  const print = createTerminalLog({ tty, write: (text) => out.push(text), now: () => now });
  return { out, print, tick: (ms: number) => (now += ms) };
}

describe('what npm start prints', () => {
  it('when stdout is not a terminal, then every line is the JSON line as it came', () => {
    const { out, print } = capture(false);
    print(event);
    print(request(7));
    expect(out).toEqual([`${event}\n`, `${request(7)}\n`]);
  });

  it('when stdout is a terminal, then events are one readable line each and requests a short line', () => {
    const { out, print } = capture(true);
    print(event);
    print(request(7));
    const plain = out.map((line) => line.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), ''));
    expect(plain[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN \(balancer\): server server2 is inactive \{"reason":"ECONNREFUSED"\}\n$/);
    expect(plain[1]).toMatch(/^\d\d:\d\d:\d\d balancer GET \/is_prime\/7 200 1 ms → server1\n$/);
  });

  it('when hundreds of requests a second are logged, then the terminal gets 20 of them and a count, and events all the same', () => {
    const { out, print, tick } = capture(true);
    for (let i = 0; i < 500; i++) print(request(i));
    print(event);
    tick(1000);
    print(request(1));
    expect(out.filter((line) => line.includes('/is_prime/'))).toHaveLength(21);
    expect(out.filter((line) => line.includes('… and 480 more requests in that second'))).toHaveLength(1);
    expect(out.filter((line) => line.includes('is inactive'))).toHaveLength(1);
  });
});
