import request from 'supertest';
import { expect, it } from 'vitest';
import { fakeWorker } from '../support/fake-worker.js';
import { closeAfterEach, startBalancer, startWorker } from '../support/in-process.js';
import { runLoad } from '../support/processes.js';

const track = closeAfterEach();

it('when a worker answers its health check but hangs on light checks, then neither its health checks nor its announcements bring it back for more requests to wait on', async () => {
  const balancer = track(await startBalancer({ requestTimeoutMs: 200, healthCheckIntervalMs: 100, healthCheckTimeoutMs: 150 }));
  balancer.healthChecker.start();
  const hung = track(await fakeWorker('hung', 'hang', { healthy: true }));
  balancer.register(hung);
  balancer.register(track(await startWorker('good')));
  // It announces itself as a running worker does, while requests flow for 1.5 s.
  const announcing = setInterval(() => balancer.registry.register(hung.url, 'hung'), 100);
  const result = await runLoad(balancer.url, '/is_prime/97', 2, AbortSignal.timeout(1_500)).finally(() => clearInterval(announcing));
  expect(result.errors).toEqual([]);
  expect([...result.servedBy.keys()]).toEqual(['good']);
  // One try waited out its timeout there; brought back by every passing probe, it took one after each.
  const timeouts = (await request(balancer.url).get('/metrics')).text.match(/distcalc_upstream_failures_total\{server="hung",kind="timeout"\} (\d+)/);
  expect(Number(timeouts?.[1])).toBe(1);
  expect(balancer.registry.get(hung.url)).toMatchObject({ status: 'inactive', lightProbe: true });
});
