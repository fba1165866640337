/**
 * The dashboard end to end in headless Chromium (spec/browser/chromium.ts picks which): the page of
 * a running Worker shows every service in its state and the `after` edges between siblings, follows
 * a crash and the supervisor's restart within a second, marks the leader, the follower and what it
 * holds through a failover, and has working control buttons only with `dashboard: { control: true }`.
 * `UPDATE_SCREENSHOT=1` rewrites docs/dashboard.png from the last test.
 */
import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { LeaderService, OneForOneSupervisor, Service, type ServiceState } from '../../../lib/index.js';
import { createMemoryLease } from '../../../lib/testing/index.js';
import { launchChromium } from '../../browser/chromium.js';
import { buildTree, runWorker, until, type RunningWorker, type Tree } from '../monitoring-helpers.js';

const SCREENSHOT = fileURLToPath(new URL('../../../docs/dashboard.png', import.meta.url));

/** Every service of the tree, root first. */
function servicesOf(root: Service<any>): Service<any>[] {
  return [root, ...root.children.flatMap(servicesOf)];
}

/** The state the page shows for a service, in the graph and in the table (they must agree). */
async function shownState(page: Page, id: string): Promise<string | null> {
  const graph = await page.getAttribute(`#graph g.svc[data-id="${id}"]`, 'data-state');
  const row = await page.getAttribute(`#services tr[data-id="${id}"]`, 'data-state');
  return graph === row ? graph : `graph ${graph} / table ${row}`;
}

/** Waits until the page shows `state` for the service; resolves the ms it took. */
async function waitForShown(page: Page, id: string, state: ServiceState, timeout = 1000): Promise<number> {
  const started = Date.now();
  await page.waitForSelector(`#graph g.svc[data-id="${id}"][data-state="${state}"]`, {
    timeout,
    state: 'attached',
  });
  await page.waitForSelector(`#services tr[data-id="${id}"][data-state="${state}"]`, {
    timeout,
    state: 'attached',
  });
  return Date.now() - started;
}

describe('Dashboard in Chromium', function () {
  this.timeout(30_000);
  let browser: Browser;
  let page: Page;
  let running: RunningWorker | undefined;
  let problems: string[];

  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    problems = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('request', (request) => {
      if (!request.url().startsWith('http://127.0.0.1:')) problems.push(`request to ${request.url()}`);
    });
  });
  afterEach(async () => {
    await page.close();
    await running?.stop();
    running = undefined;
  });

  /** Runs the tree and opens its dashboard; resolves once the page follows the event stream. */
  async function open(tree: Tree): Promise<void> {
    running = await runWorker(tree.worker);
    await page.goto(`${running.origin}/dashboard`);
    await page.waitForSelector('#connection[data-status="live"]', { timeout: 5000 });
    await page.waitForSelector(`#services tr[data-id="${tree.worker.id}"]`, { state: 'attached' });
  }

  it('shows every service of the tree in its state, as a graph with parent → child edges and a table', async () => {
    const tree = buildTree();
    await open(tree);
    for (const service of servicesOf(tree.worker)) {
      expect(service.state).to.equal('running');
      expect(await shownState(page, service.id), service.path).to.equal('running');
    }
    expect(await page.locator('#graph g.svc').count()).to.equal(6);
    expect(await page.locator('#graph path.edge').count()).to.equal(5);
    await tree.database.stop();
    await waitForShown(page, tree.database.id, 'stopped');
    expect(await page.textContent(`#services tr[data-id="${tree.database.id}"] td.path`)).to.equal(
      'Database',
    );
    expect(problems).to.deep.equal([]);
  });

  it('draws the after edges between siblings apart from the tree edges, and lists them in the table', async () => {
    const tree = buildTree();
    const { worker, database, api } = tree;
    const search = worker.addDependency(new Service({ name: 'Search' }), { after: [database, api] });
    await open(tree);
    await waitForShown(page, search.id, 'running');
    expect(await page.locator('#graph path.edge').count()).to.equal(6);
    const arcs = page.locator('#graph path.sibling-edge');
    expect(await arcs.count()).to.equal(2);
    const pairs = await arcs.evaluateAll((paths) =>
      paths.map((p) => `${p.getAttribute('data-from')}>${p.getAttribute('data-to')}`),
    );
    expect(pairs.sort()).to.deep.equal([`${database.id}>${search.id}`, `${api.id}>${search.id}`].sort());
    const box = await arcs.first().boundingBox();
    expect(box !== null && box.height > 0, 'the arc is drawn').to.equal(true);
    expect(await arcs.first().evaluate((p) => getComputedStyle(p).strokeDasharray)).to.not.equal('none');
    expect(await page.locator('#services th').allTextContents()).to.include('After');
    expect(await page.textContent(`#services tr[data-id="${search.id}"] td.after`)).to.equal('Database, Api');
    expect(await page.textContent(`#services tr[data-id="${database.id}"] td.after`)).to.equal('–');
    await page.click(`#graph g.svc[data-id="${search.id}"]`);
    expect(await page.textContent('#details [data-field="Starts after"]')).to.equal('Database, Api');
    expect(problems).to.deep.equal([]);
  });

  it("reflects a crash and the supervisor's restart within a second, with the crash's stack", async () => {
    const tree = buildTree({}, '400ms');
    await open(tree);
    const { consumer } = tree;
    let restartedAt = 0;
    const watch = consumer.state$.subscribe((state) => {
      if (state === 'running' && consumer.restartCount === 1) restartedAt = Date.now();
    });
    try {
      const error = new Error('job 7 is poisoned');
      const crashedAt = Date.now();
      consumer.crash(error);
      await waitForShown(page, consumer.id, 'crashed');
      const crashShownMs = Date.now() - crashedAt;
      await page.waitForFunction(
        (id) => document.querySelector(`#services tr[data-id="${id}"] td:nth-child(4)`)?.textContent === '1',
        consumer.id,
        { timeout: 3000 },
      );
      await waitForShown(page, consumer.id, 'running', 3000);
      const restartShownMs = Date.now() - (await until(() => restartedAt || undefined));
      expect(crashShownMs, 'crash shown after (ms)').to.be.below(1000);
      expect(restartShownMs, 'restart shown after (ms)').to.be.below(1000);
      console.log(`      crash shown in ${crashShownMs} ms, restart shown in ${restartShownMs} ms`);

      const log = await page.textContent('#log');
      expect(log).to.include('Worker/Consumers/Consumer crashed: Error: job 7 is poisoned');
      expect(log).to.include('Worker/Consumers restart Worker/Consumers/Consumer (attempt 1 in 400 ms)');
      await page.click(`#graph g.svc[data-id="${consumer.id}"]`);
      expect(await page.textContent('#details [data-field="Path"]')).to.equal('Worker/Consumers/Consumer');
      expect(await page.textContent('#details pre[data-field="stack"]')).to.equal(error.stack);
      expect(problems).to.deep.equal([]);
    } finally {
      watch.unsubscribe();
    }
  });

  it('marks the leader, the follower and the services it holds, and follows a failover within a second', async () => {
    const tree = buildTree();
    const lease = createMemoryLease({ name: 'jobs' });
    const a = tree.worker.addDependency(new LeaderService(lease, { name: 'Scheduler A' }));
    const aJob = a.addDependency(new Service({ name: 'Cron A' }));
    const b = tree.worker.addDependency(new LeaderService(lease, { name: 'Scheduler B' }));
    const bJob = b.addDependency(new Service({ name: 'Cron B' }));
    await open(tree);
    /** The role the graph shows for each service, and the words of its table row. */
    const shown = async () =>
      Promise.all(
        [a, aJob, b, bJob].map(async ({ id }) => [
          await page.getAttribute(`#graph g.svc[data-id="${id}"]`, 'data-role'),
          await page.textContent(`#graph g.svc[data-id="${id}"] text.role`),
          await page.textContent(`#services tr[data-id="${id}"] span.role`),
        ]),
      );
    const leads = (id: string) => `#graph g.svc[data-id="${id}"][data-role="leader"]`;
    await page.waitForSelector(leads(a.id), { state: 'attached', timeout: 1000 });
    expect(await shown()).to.deep.equal([
      ['leader', '♛ leader', 'leader · jobs #1'],
      [null, '', ''],
      ['follower', 'follower', 'follower · jobs'],
      ['held', 'held', 'held · waits for the lease'],
    ]);
    expect(await page.textContent(`#services tr[data-id="${tree.database.id}"] span.role`)).to.equal('');
    lease.expire(new Error('renewal failed'));
    await page.waitForSelector(leads(b.id), { state: 'attached', timeout: 1000 });
    await waitForShown(page, aJob.id, 'stopped');
    await waitForShown(page, bJob.id, 'running');
    expect(await shown()).to.deep.equal([
      ['follower', 'follower', 'follower · jobs'],
      ['held', 'held', 'held · waits for the lease'],
      ['leader', '♛ leader', 'leader · jobs #2'],
      [null, '', ''],
    ]);
    await page.click(`#graph g.svc[data-id="${b.id}"]`);
    expect(await page.textContent('#details [data-field="Lease"]')).to.equal('leader · jobs #2');
    expect(
      await page.locator('#log li.warn', { hasText: 'not leading jobs: Error: renewal failed' }).count(),
    ).to.equal(1);
    expect(problems).to.deep.equal([]);
  });

  it('shows no control buttons when control is off', async () => {
    await open(buildTree());
    expect(await page.textContent('#control-mode')).to.equal('read-only');
    expect(await page.locator('button[data-action]').count()).to.equal(0);
    expect(await page.locator('#services th').allTextContents()).to.not.include('Control');
  });

  it('restarts, stops and crashes services from its buttons when control is on', async () => {
    const tree = buildTree({ dashboard: { control: true } }, '300ms');
    const { worker, database, consumer } = tree;
    await open(tree);
    expect(await page.textContent('#control-mode')).to.equal('control on');
    expect(await page.locator('button[data-action]').count()).to.equal(3 * (servicesOf(worker).length - 1));
    expect(await page.locator(`button[data-id="${worker.id}"]`).count()).to.equal(0); // the root stops by signal

    await page.click(`button[data-action="stop"][data-id="${database.id}"]`);
    await waitForShown(page, database.id, 'stopped');
    expect(database.state).to.equal('stopped');
    expect(await page.textContent('#notice')).to.equal('stop Worker/Database: done');

    await page.click(`button[data-action="restart"][data-id="${database.id}"]`);
    await waitForShown(page, database.id, 'running');
    await until(() => (database.state === 'running' ? true : undefined));

    await page.click(`button[data-action="crash"][data-id="${consumer.id}"]`);
    await waitForShown(page, consumer.id, 'crashed');
    expect(consumer.crashReason).to.be.instanceOf(Error).with.property('name', 'ControlCrash');
    await waitForShown(page, consumer.id, 'running', 3000);
    expect(consumer.restartCount).to.equal(1);
    expect(problems).to.deep.equal([]);
  });

  it('draws a larger tree with crashes, flags and pending work (the README screenshot)', async () => {
    const tree = buildTree({ dashboard: { control: true } }, '100ms');
    const jobs = new OneForOneSupervisor({ name: 'Jobs', restart: 'temporary' });
    const mailer = new Service({ name: 'Mailer' });
    const reports = new Service({ name: 'Reports' });
    jobs.add(mailer, reports);
    tree.worker.addDependency(jobs);
    await open(tree);
    tree.database.diag.setFlag('VACUUMING');
    tree.consumer.crash(new Error('job 7 is poisoned'));
    await reports.stop();
    const refused = new Error('SMTP connection refused (smtp.internal:25)');
    // a stack as an app would show it (the real one would name this machine's test file)
    refused.stack = [
      'Error: SMTP connection refused (smtp.internal:25)',
      '    at SmtpClient.connect (src/mail/smtp.ts:88:13)',
      '    at Mailer.send (src/mail/mailer.ts:41:22)',
      '    at Mailer.run (src/mail/mailer.ts:27:18)',
    ].join('\n');
    mailer.crash(refused);
    await waitForShown(page, mailer.id, 'crashed');
    await waitForShown(page, tree.consumer.id, 'running', 3000);
    await page.click(`#services tr[data-id="${mailer.id}"] td.path`);
    await page.waitForSelector('#details pre[data-field="stack"]');
    await page.waitForFunction(() => document.body.textContent?.includes('VACUUMING'), undefined, {
      timeout: 3000,
    });
    const png = await page.screenshot({ fullPage: true });
    expect(png.subarray(1, 4).toString()).to.equal('PNG');
    if (process.env.UPDATE_SCREENSHOT === '1') await writeFile(SCREENSHOT, png);
    expect(problems).to.deep.equal([]);
  });
});
