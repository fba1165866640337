// The Angular demo (demos/angular) built with Angular's application builder, served from node:http
// and driven in headless Chromium: live states render, a crash shows and the supervisor recovers
// it, and leaving a route stops the services of its injector and of its component.
// Needs the built demo: `npm run build && npm ci --prefix demos/angular && npm run build --prefix demos/angular`.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, serve, type TestServer } from './chromium.js';

const DEMO = fileURLToPath(new URL('../../demos/angular/', import.meta.url));
const SITE = join(DEMO, 'dist', 'browser');
const BUILD_HINT =
  'build it first: `npm run build && npm ci --prefix demos/angular && npm run build --prefix demos/angular`';

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.ico': 'image/x-icon',
};

/** Newest modification time under `dir`, in ms. */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/** Throws a clear error unless the demo is built and newer than its sources. */
function assertBuilt(): void {
  const index = join(SITE, 'index.html');
  if (!existsSync(index))
    throw new Error(
      `The Angular demo is not built (${relative(process.cwd(), index)} is missing): ${BUILD_HINT}`,
    );
  if (newest(join(DEMO, 'src')) > statSync(index).mtimeMs) {
    throw new Error(`The Angular demo build is older than demos/angular/src: ${BUILD_HINT}`);
  }
}

describe('Angular demo (Chromium)', function () {
  this.timeout(30_000);
  let browser: Browser;
  let server: TestServer;
  let page: Page;
  let pageErrors: string[];

  before(async () => {
    assertBuilt();
    server = await serve((req, res) => {
      const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0]!)).replace(
        /^(\.\.[/\\])+/,
        '',
      );
      const file = join(SITE, path);
      // Files as they are; every other path is a route of the single-page app.
      const target =
        path !== '/' && existsSync(file) && statSync(file).isFile() ? file : join(SITE, 'index.html');
      res.writeHead(200, { 'content-type': TYPES[extname(target)] ?? 'application/octet-stream' });
      res.end(readFileSync(target));
    });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
  beforeEach(async () => {
    page = await browser.newPage();
    pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await page.goto(server.origin + '/');
  });
  afterEach(async () => {
    await page.close();
    expect(pageErrors, 'errors in the page').to.deep.equal([]);
  });

  const stateOf = (card: string): Promise<string> => page.locator(`#${card} [data-state]`).innerText();
  const waitForState = (card: string, state: string, timeout = 5_000): Promise<unknown> =>
    page.waitForFunction(
      ([id, s]) => document.querySelector(`#${id} [data-state]`)?.textContent?.trim() === s,
      [card, state] as const,
      { timeout },
    );
  const numberIn = async (selector: string): Promise<number> =>
    Number(await page.locator(selector).innerText());
  const activity = (): Promise<string[]> => page.locator('#activity li').allInnerTexts();

  it('shows the application services running, with live values', async () => {
    await waitForState('clock', 'running');
    await waitForState('poller', 'running');
    const time = await page.locator('#clock [data-time]').innerText();
    await page.waitForFunction((t) => document.querySelector('#clock [data-time]')?.textContent !== t, time);
    const polls = await numberIn('#poller [data-polls]');
    await page.waitForFunction(
      (n) => Number(document.querySelector('#poller [data-polls]')?.textContent) > n,
      polls,
    );
    expect(await activity()).to.include.members(['app: starting', 'app/clock: running', 'app: running']);
  });

  it('shows a crash of the poller, then its restart by the supervisor', async () => {
    await waitForState('poller', 'running');
    await page.click('#crash');
    await waitForState('poller', 'crashed');
    expect(await page.locator('#poller [data-crash]').innerText()).to.equal('last crash: poll failed');
    expect(await stateOf('clock'), 'the crash does not spread').to.equal('running');
    await waitForState('poller', 'running');
    expect(await numberIn('#poller [data-restarts]')).to.equal(1);
    expect(await activity()).to.include.members([
      'app/supervisor/poller: crashed (poll failed)',
      'app/supervisor/poller: running',
    ]);
  });

  it("starts a route's services on entering it and stops them on leaving it", async () => {
    await waitForState('clock', 'running');
    await page.click('#nav-feed');
    await waitForState('feed', 'running');
    await waitForState('heartbeat', 'running');
    expect(await activity()).to.include.members([
      'environment/feed: running',
      'component/heartbeat: running',
    ]);
    await page.waitForFunction(() => document.querySelectorAll('#feed [data-messages] li').length >= 2);
    await page.waitForFunction(
      () => Number(document.querySelector('#heartbeat [data-beats]')?.textContent) >= 1,
    );

    await page.click('#nav-dashboard');
    await waitForState('clock', 'running');
    await page.waitForFunction(
      () => {
        const log = Array.from(document.querySelectorAll('#activity li'), (li) => li.textContent?.trim());
        const stopped = [
          'environment: stopped (destroy)',
          'environment/feed: stopped (parent)',
          'component/heartbeat: stopped (parent)',
        ];
        return stopped.every((entry) => log.includes(entry));
      },
      undefined,
      { timeout: 5_000 },
    );
    const log = await activity();
    expect(log).to.include.members([
      'environment: stopping (destroy)',
      'environment/feed: stopping (parent)',
      'component: stopping (destroy)',
    ]);
    expect(await stateOf('poller'), 'the application tree runs on').to.equal('running');

    // Coming back builds a new route injector, with a new Feed starting from its first message.
    await page.click('#nav-feed');
    await waitForState('feed', 'running');
    await page.waitForFunction(
      () => document.querySelector('#feed [data-messages] li')?.textContent === 'message #1',
    );
  });
});
