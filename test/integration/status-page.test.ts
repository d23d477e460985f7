/**
 * The balancer's live status page, driven in headless Chromium (Debian's `chromium`, through
 * playwright-core). Where Chromium is missing the test is skipped and says why.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it('when served, then the page allows only its own script and style', async () => {
    const res = await request(balancer.url).get('/').expect(200).expect('content-type', /text\/html/);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['content-security-policy']).not.toContain('unsafe-inline');
  });
});
