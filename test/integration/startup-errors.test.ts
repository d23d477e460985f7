import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManagedProcess } from '../../scripts/lib/managed-process.js';

let taken: Server | undefined;
let program: ManagedProcess | undefined;
afterEach(async () => {
  await program?.close();
  taken?.close();
});

describe('mistakes at start', () => {
  it.each(['balancer', 'worker'] as const)('when the %s is given a port already in use, then it says so in one line naming PORT, without a stack, and exits 1', async (name) => {
    taken = createServer();
    await new Promise<void>((resolve) => taken!.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    program = new ManagedProcess({ name, program: name, env: { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', BALANCER_URL: 'http://127.0.0.1:9' } });
    await expect(program.start()).rejects.toThrow(/exited with 1/);
    const fatal = program.logs.filter((r) => r.level === 'fatal');
    expect(fatal).toHaveLength(1);
    expect(fatal[0]!.msg).toBe(`cannot listen: port ${port} on 127.0.0.1 is already in use; set PORT (or HOST) to change it`);
    expect(fatal[0]!.err).toBeUndefined();
  });
});
