import request from 'supertest';
import { expect, it } from 'vitest';
import { closeAfterEach, startBalancer } from '../support/in-process.js';

const track = closeAfterEach();

// docs/api.md: invalid_json is a body that is not JSON; invalid_registration one that is not an object.
it.each(['/server_up', '/server_down'])('when %s gets JSON that is not an object (null, a string, a number), then it is 400 invalid_registration', async (path) => {
  const balancer = track(await startBalancer());
  for (const payload of ['null', '"http://127.0.0.1:1"', '42', 'true']) {
    const res = await request(balancer.url).post(path).set('content-type', 'application/json').send(payload).expect(400);
    expect(res.body.error, payload).toBe('invalid_registration');
  }
  expect(balancer.registry.servers).toEqual([]);
});

it('when /server_up gets a body that is not JSON, then it is still 400 invalid_json', async () => {
  const balancer = track(await startBalancer());
  const res = await request(balancer.url).post('/server_up').set('content-type', 'application/json').send('{oops').expect(400);
  expect(res.body.error).toBe('invalid_json');
});

it.each(['/server_up', '/jobs'])('when %s gets a body in a Content-Encoding it cannot decode at all, then it is 415 and the message names the encoding, not the charset', async (path) => {
  const balancer = track(await startBalancer());
  const res = await request(balancer.url).post(path).set('content-type', 'application/json').set('content-encoding', 'compress').send('{}').expect(415);
  expect(res.body.error).toBe('unsupported_media_type');
  expect(res.body.message).toMatch(/Content-Encoding/);
});
