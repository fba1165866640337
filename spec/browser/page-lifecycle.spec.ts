// bindPageLifecycle in a real headless Chromium: navigating away stops the tree (seen through
// beacons sent to the test server while the page unloads), listeners are removed with the tree,
// and pauseWhenHidden skips timer ticks while the page reports hidden.
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { bundle, launchChromium, serve, type TestServer } from './chromium.js';

interface Report {
  /** The order the page sent it in (beacons may arrive out of order). */
  seq: number;
  path: string;
  to: string;
  reason?: unknown;
  listeners: number;
}

const ENTRY = fileURLToPath(new URL('./fixtures/page-lifecycle-page.ts', import.meta.url));

/** Polls `check` until it returns true or `ms` pass. */
async function eventually(check: () => boolean, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('bindPageLifecycle (Chromium)', function () {
  this.timeout(30_000);
  let browser: Browser;
  let server: TestServer;
  let page: Page;
  const reports: Report[] = [];

  before(async () => {
    const script = await bundle(ENTRY);
    server = await serve((req, res, body) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'POST' && path === '/beacon') {
        reports.push(JSON.parse(body) as Report);
        res.writeHead(204).end();
      } else if (path === '/page.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
      } else if (path === '/') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!doctype html><title>tree</title><script type="module" src="/page.js"></script>');
      } else if (path === '/elsewhere') {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>elsewhere</title>');
      } else {
        res.writeHead(404).end();
      }
    });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
  beforeEach(async () => {
    reports.length = 0;
    page = await browser.newPage();
  });
  afterEach(async () => {
    await page.close();
  });

  async function openTree(query = ''): Promise<void> {
    await page.goto(`${server.origin}/${query}`);
    await page.waitForFunction(() => window.lifecycle?.root.state === 'running');
  }

  it('stops the tree with the reason pagehide when the page navigates away', async () => {
    await openTree();
    expect(await page.evaluate(() => window.lifecycle.listeners())).to.equal(1);
    await page.goto(`${server.origin}/elsewhere`);
    await eventually(() => reports.some((r) => r.path === 'app' && r.to === 'stopped'));
    const stopping = reports.filter((r) => r.to === 'stopping').sort((a, b) => a.seq - b.seq);
    expect(stopping.map((r) => [r.path, r.reason])).to.deep.equal([
      ['app', { type: 'signal', signal: 'pagehide' }],
      ['app/clock', { type: 'parent', parent: 'app' }],
    ]);
    expect(
      reports.some((r) => r.path === 'app/clock' && r.to === 'stopped'),
      'child stopped',
    ).to.equal(true);
    expect(stopping[0]!.listeners, 'listeners removed before the stop began').to.equal(0);
  });

  it('removes its listeners when the tree stops, so a later pagehide leaves a restarted tree alone', async () => {
    await openTree();
    const after = await page.evaluate(async () => {
      const { root, listeners } = window.lifecycle;
      await root.stop();
      const whenStopped = listeners();
      await root.start();
      window.dispatchEvent(new PageTransitionEvent('pagehide'));
      return { whenStopped, state: root.state, listeners: listeners() };
    });
    expect(after).to.deep.equal({ whenStopped: 0, state: 'running', listeners: 0 });
  });

  it('removes its listeners when the tree crashes', async () => {
    await openTree('?pause=1');
    const result = await page.evaluate(() => {
      const { root, listeners } = window.lifecycle;
      const before = listeners();
      root.crash(new Error('boom'));
      return { before, after: listeners(), state: root.state };
    });
    expect(result).to.deep.equal({ before: 4, after: 0, state: 'crashed' });
  });

  it('skips timer ticks while the page is hidden and resumes them when it is visible again', async () => {
    await openTree('?pause=1&interval=50ms');
    await page.waitForFunction(() => window.lifecycle.ticks.length >= 2);
    const hiddenAt = await page.evaluate(() => {
      window.lifecycle.setHidden(true);
      return window.lifecycle.ticks.length;
    });
    // Several intervals pass while hidden; skipped ticks are counted as overlaps, not run.
    await page.waitForTimeout(400);
    expect(await page.evaluate(() => window.lifecycle.ticks.length)).to.equal(hiddenAt);
    await page.evaluate(() => window.lifecycle.setHidden(false));
    await page.waitForFunction((n) => window.lifecycle.ticks.length > n, hiddenAt);
    const resumed = await page.evaluate((n) => window.lifecycle.ticks[n]!, hiddenAt);
    expect(resumed.overlaps, 'ticks skipped while hidden').to.be.greaterThan(3);
  });
});
