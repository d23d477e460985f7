import { describe, expect, it } from 'vitest';
import { loadWorkerConfig } from '../../../src/worker/config.js';

describe('worker config: MAX_TASK_SPAN', () => {
  it('when MAX_TASK_SPAN is not set, then a task may span 10^10 numbers', () => {
    expect(loadWorkerConfig({}).maxTaskSpan).toBe(10_000_000_000);
  });

  it('when MAX_TASK_SPAN is set, then that is the limit', () => {
    expect(loadWorkerConfig({ MAX_TASK_SPAN: '1000000' }).maxTaskSpan).toBe(1_000_000);
  });

  it.each(['0', '-5', '1e10', 'lots', '9007199254740992'])('when MAX_TASK_SPAN is %j, then the worker refuses to start, naming it', (value) => {
    expect(() => loadWorkerConfig({ MAX_TASK_SPAN: value })).toThrow(/MAX_TASK_SPAN/);
  });
});

describe('worker config: BALANCER_URL', () => {
  it('when BALANCER_URL lists several balancers, then the worker announces to each, once', () => {
    const config = loadWorkerConfig({ BALANCER_URL: 'http://balancer-a:9000, http://balancer-b:9000/,http://balancer-a:9000' });
    expect(config.balancerUrls).toEqual(['http://balancer-a:9000', 'http://balancer-b:9000']);
  });

  it.each([' , ', 'http://a:9000,ftp://b', 'http://a:9000/path'])('when BALANCER_URL is %j, then the worker refuses to start, naming it', (value) => {
    expect(() => loadWorkerConfig({ BALANCER_URL: value })).toThrow(/BALANCER_URL/);
  });
});
