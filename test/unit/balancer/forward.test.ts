import { describe, expect, it } from 'vitest';
import { Cancellation } from '../../../src/balancer/cancellation.js';
import { createUpstream } from '../../../src/balancer/forward.js';

describe('forward', () => {
  it('when the client has already gone, then nothing is sent and the result says so (it never throws)', async () => {
    const upstream = createUpstream({ requestTimeoutMs: 1_000, probeTimeoutMs: 1_000 });
    const gone = new Cancellation();
    gone.cancel();
    await expect(upstream.forward('http://127.0.0.1:9', '/is_prime/7', 'id', { cancellation: gone })).resolves.toMatchObject({
      ok: false,
      kind: 'aborted',
    });
    await upstream.close();
  });

  it('when nothing listens at the address, then it is a refused failure, not an exception', async () => {
    const upstream = createUpstream({ requestTimeoutMs: 1_000, probeTimeoutMs: 1_000 });
    await expect(upstream.forward('http://127.0.0.1:9', '/is_prime/7', 'id')).resolves.toMatchObject({ ok: false, kind: 'refused' });
    await upstream.close();
  });
});
