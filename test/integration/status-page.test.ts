/**
 * The balancer's live status page, driven in headless Chromium (Debian's `chromium`, through
 * playwright-core). Where Chromium is missing the test is skipped and says why.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countWorker, naiveCount } from '../support/count-worker.js';
import { startBalancer, startWorker, type TestBalancer, type TestWorker } from '../support/in-process.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const missing = existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
if (missing) console.log(`status page browser test skipped: ${missing}`);

describe.skipIf(missing !== undefined)('status page in a browser', () => {
  let browser: Browser;
  let balancer: TestBalancer;
  let workers: TestWorker[];

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    balancer = await startBalancer();
    workers = [await startWorker('server1'), await startWorker('server2')];
    for (const w of workers) balancer.register(w);
  });
  afterAll(async () => {
    await browser?.close();
    await balancer?.close();
    for (const w of workers ?? []) await w.close();
  });

  it('when opened, then it lists every server with its state, and it follows changes live', async () => {
    for (let i = 0; i < 4; i++) await request(balancer.url).get('/is_prime/524287').expect(200);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    await page.goto(`${balancer.url}/`);
    await page.waitForSelector('tr[data-server="server2"]');
    const row = async (name: string) => (await page.locator(`tr[data-server="${name}"] td`).allTextContents()).slice(0, 5);
    expect(await row('server1')).toEqual(['server1', workers[0]!.url, 'active', '0', '2']);
    expect(await page.textContent('#summary')).toMatch(/^2 of 2 servers active, 0 requests waiting/);

    balancer.registry.markFailed(balancer.registry.get(workers[1]!.url)!, 'ECONNREFUSED');
    await expect.poll(() => page.locator('tr[data-server="server2"] td').nth(2).textContent(), { timeout: 5_000 }).toBe('inactive');
    expect(await page.textContent('#summary')).toMatch(/^1 of 2 servers active/);
    expect(await page.locator('tr[data-server="server2"] td').nth(7).textContent()).toBe('ECONNREFUSED');
    await page.screenshot({ path: 'logs/status-page.png' });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('when a job has run, then it is listed with its result, a full progress bar and each server share', async () => {
    const counter = await countWorker('counter');
    try {
      balancer.registry.register(counter.url, 'counter', 1);
      const { body } = await request(balancer.url).post('/jobs').send({ kind: 'count_primes', from: '0', to: '3000000' }).expect(202);
      const done = (await request(balancer.url).get(`/jobs/${body.job.id}?wait=20`).expect(200)).body.job as { servers: Record<string, number> };
      const page = await browser.newPage();
      await page.goto(`${balancer.url}/`);
      const row = page.locator(`tr[data-job="${body.job.id}"]`);
      await row.waitFor();
      const cells = await row.locator('td').allTextContents();
      expect(cells[2]).toBe('done');
      expect(cells[3]).toMatch(/^100\.0 %/);
      expect(cells[4]).toBe(`${naiveCount(0, 3_000_000).primes} primes, ${naiveCount(0, 3_000_000).twin_primes} twin pairs`);
      const total = Object.values(done.servers).reduce((a, b) => a + b, 0);
      const shares = Object.entries(done.servers).map(([name, n]) => `${name} ${Math.round((n / total) * 100)} %`);
      expect(cells[5]).toBe(shares.join(', '));
      expect(await row.locator('progress').getAttribute('value')).toBe('1');
      await page.close();
    } finally {
      await counter.close();
    }
  });

  it('when a worker is killed while the page is open, then its status changes, the timeline says why, and the charts show each server', async () => {
    const server3 = await startWorker('server3');
    balancer.register(server3);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1500 } });
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${balancer.url}/`);
    await page.waitForSelector('tr[data-server="server3"]');
    // Two seconds of traffic, so that each chart has finished seconds to draw.
    const until = Date.now() + 2_200;
    while (Date.now() < until) await request(balancer.url).get('/is_prime/524287').expect(200);
    await server3.close();
    // The next requests find it gone: refused, taken out at once, and answered by another.
    for (let i = 0; i < 6; i++) await request(balancer.url).get('/is_prime/97').expect(200);
    await expect.poll(() => page.locator('tr[data-server="server3"] td').nth(2).textContent(), { timeout: 5_000 }).toBe('inactive');
    const event = page.locator('tr[data-event="server3:inactive"]').first();
    await event.waitFor({ timeout: 5_000 });
    const cells = await event.locator('td').allTextContents();
    expect(cells.slice(1, 3)).toEqual(['server3', 'active → inactive']);
    expect(cells[3]).toMatch(/ECONNREFUSED|refused/i);
    expect(await page.locator('tr[data-event="server3:active"]').count()).toBeGreaterThanOrEqual(1);
    for (const name of ['server1', 'server3']) {
      await expect.poll(() => page.locator(`[data-chart="${name}"] polyline[data-line="req/s"]`).count(), { timeout: 5_000 }).toBe(1);
      expect(await page.locator(`[data-chart="${name}"] polyline[data-line="p99"]`).count()).toBe(1);
    }
    await page.screenshot({ path: 'logs/status-page.png', fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('when served, then the page allows only its own script and style', async () => {
    const res = await request(balancer.url).get('/').expect(200).expect('content-type', /text\/html/);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['content-security-policy']).not.toContain('unsafe-inline');
  });
});
