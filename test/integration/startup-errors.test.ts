import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManagedProcess } from '../../scripts/lib/managed-process.js';
import { freshDataDir } from '../support/processes.js';

let taken: Server | undefined;
let program: ManagedProcess | undefined;
let other: ManagedProcess | undefined;
afterEach(async () => {
  await program?.close();
  await other?.close();
  taken?.close();
});

describe('mistakes at start', () => {
  it.each(['balancer', 'worker'] as const)('when the %s is given a port already in use, then it says so in one line naming PORT, without a stack, and exits 1', async (name) => {
    taken = createServer();
    await new Promise<void>((resolve) => taken!.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    program = new ManagedProcess({ name, program: name, env: { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', BALANCER_URL: 'http://127.0.0.1:9', DATA_DIR: freshDataDir() } });
    await expect(program.start()).rejects.toThrow(/exited with 1/);
    const fatal = program.logs.filter((r) => r.level === 'fatal');
    expect(fatal).toHaveLength(1);
    expect(fatal[0]!.msg).toBe(`cannot listen: port ${port} on 127.0.0.1 is already in use; set PORT (or HOST) to change it`);
    expect(fatal[0]!.err).toBeUndefined();
  });

  it.each(['balancer', 'worker'] as const)('when the %s is given a HOST that does not resolve, then it says so in one line naming HOST, without a stack, and exits 1', async (name) => {
    program = new ManagedProcess({ name, program: name, env: { PORT: '0', HOST: 'no-such-host.invalid', LOG_LEVEL: 'info', BALANCER_URL: 'http://127.0.0.1:9', DATA_DIR: freshDataDir() } });
    await expect(program.start()).rejects.toThrow(/exited with 1/);
    const fatal = program.logs.filter((r) => r.level === 'fatal');
    expect(fatal).toHaveLength(1);
    expect(fatal[0]!.msg).toBe('cannot listen: no-such-host.invalid is not an address, and no host of that name is found; set PORT (or HOST) to change it');
    expect(fatal[0]!.err).toBeUndefined();
  });

  it('when a second balancer is given the DATA_DIR of a running one, then it says whose it is in one line and exits 1, and the first goes on', async () => {
    const dataDir = freshDataDir();
    const env = { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', DATA_DIR: dataDir };
    other = new ManagedProcess({ name: 'first', program: 'balancer', env });
    const port = await other.start();
    program = new ManagedProcess({ name: 'second', program: 'balancer', env });
    await expect(program.start()).rejects.toThrow(/exited with 1/);
    const fatal = program.logs.filter((r) => r.level === 'fatal');
    expect(fatal).toHaveLength(1);
    expect(fatal[0]!.msg).toMatch(new RegExp(`${dataDir} is in use by the balancer with pid ${other.pid} on `));
    expect((await fetch(`http://127.0.0.1:${port}/health_check`)).status).toBe(200);
  });

  it.each([
    ['no ALLOWED_SERVER_HOSTS', 1, {}],
    ['ALLOWED_SERVER_HOSTS=0.0.0.0/0', 1, { ALLOWED_SERVER_HOSTS: '0.0.0.0/0' }],
    ['ALLOWED_SERVER_HOSTS=127.0.0.1', 0, { ALLOWED_SERVER_HOSTS: '127.0.0.1' }],
  ])('when a balancer at LOG_LEVEL=error starts with %s and no token, then it says %i time(s) that its control routes are open', async (_what, times, env) => {
    program = new ManagedProcess({ name: 'balancer', program: 'balancer', env: { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'error', DATA_DIR: freshDataDir(), ...env } });
    await program.start();
    // The warning is logged right after the listening line, in the same batch of lines.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(program.logs.filter((r) => r.level === 'warn' && r.msg?.startsWith('registration is open: ') === true)).toHaveLength(times);
  });
});
