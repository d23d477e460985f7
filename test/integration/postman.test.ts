/**
 * The Postman collection (docs/postman/) run by newman against the local stack's programs —
 * a real balancer and two real workers — with the local environment, its addresses pointed at
 * this stack's ports: every request of every folder, and every test in it, must pass.
 */
import { join } from 'node:path';
import newman, { type NewmanRunSummary } from 'newman';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProcessStack, type ProcessStack } from '../support/processes.js';

const DIR = join(import.meta.dirname, '../../docs/postman');

describe('the Postman collection, run by newman', () => {
  let stack: ProcessStack;
  beforeAll(async () => {
    stack = await startProcessStack(2, { TASK_TARGET_MS: '80' });
  }, 30_000);
  afterAll(() => stack?.close());

  it('when every request of the collection is sent to the local stack, then every one of its tests passes', async () => {
    const summary = await new Promise<NewmanRunSummary>((resolve, reject) => {
      newman.run(
        {
          collection: join(DIR, 'distcalc.postman_collection.json'),
          environment: join(DIR, 'local.postman_environment.json'),
          envVar: [
            { key: 'balancer', value: stack.balancerUrl },
            { key: 'worker', value: `http://127.0.0.1:${stack.workers[0]!.port}` },
          ],
          timeoutRequest: 70_000,
        },
        (err, result) => (err ? reject(err) : resolve(result)),
      );
    });
    const { stats, failures } = summary.run;
    expect(failures.map((f) => `${f.source?.name ?? ''}: ${f.error.message}`)).toEqual([]);
    expect(stats.requests.total).toBe(23);
    expect(stats.requests.failed).toBe(0);
    expect(stats.assertions.total).toBeGreaterThanOrEqual(23);
    expect(stats.assertions.failed).toBe(0);
  }, 120_000);
});
