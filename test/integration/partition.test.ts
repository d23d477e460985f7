/**
 * A network partition: a worker on its own test host (a network namespace joined by a veth
 * pair) whose link is cut and restored while requests flow. Needs root and `ip netns`; where
 * that is missing the test is skipped and says why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManagedProcess } from '../../scripts/lib/managed-process.js';
import { FAST, eventually, freshDataDir, getJson, outageUnderLoad, type ServerView } from '../support/processes.js';
import { createTestHost, netnsUnavailable, type TestHost } from '../support/netns.js';

const unavailable = netnsUnavailable();
if (unavailable) console.log(`partition test skipped: ${unavailable}`);

describe.skipIf(unavailable !== undefined)('network partition between the balancer and a worker', () => {
  let host: TestHost;
  const processes: ManagedProcess[] = [];

  beforeAll(() => {
    host = createTestHost();
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.close()));
    host?.remove();
  });

  it('when the link to a worker is cut while requests flow, then no client sees an error, and the worker returns with the link', async () => {
    const env = { ...FAST, REQUEST_TIMEOUT_MS: '300', HEALTH_CHECK_TIMEOUT_MS: '300' };
    const balancer = new ManagedProcess({
      name: 'balancer',
      program: 'balancer',
      env: { ...env, PORT: '0', HOST: host.hostAddress, DATA_DIR: freshDataDir() },
    });
    processes.push(balancer);
    const port = await balancer.start();
    const balancerUrl = `http://${host.hostAddress}:${port}`;
    const local = new ManagedProcess({
      name: 'server1',
      program: 'worker',
      env: { ...env, PORT: '0', HOST: '127.0.0.1', SERVER_NAME: 'server1', BALANCER_URL: balancerUrl },
    });
    const remote = new ManagedProcess({
      name: 'server2',
      program: 'worker',
      wrap: host.wrap,
      env: {
        ...env,
        PORT: '5000',
        HOST: host.guestAddress,
        SERVER_NAME: 'server2',
        ADVERTISED_URL: `http://${host.guestAddress}:5000`,
        BALANCER_URL: balancerUrl,
      },
    });
    processes.push(local, remote);
    await Promise.all([local.start(), remote.start()]);
    const statusOf = async (name: string) =>
      (await getJson<{ servers: ServerView[] }>(`${balancerUrl}/servers`)).servers.find((s) => s.name === name)?.status;
    expect(await eventually(async () => (await statusOf('server2')) === 'active' && (await statusOf('server1')) === 'active', 5_000)).toBe(true);

    const { out, back, load: result } = await outageUnderLoad(balancerUrl, { fault: host.cut, heal: host.restore, backWithinMs: 5_000 });
    expect([out, back]).toEqual([true, true]);
    expect(result.errors).toEqual([]);
    expect([...result.statuses.keys()]).toEqual([200]);
    expect(result.servedBy.get('server2')).toBeGreaterThan(0);
  });
});
