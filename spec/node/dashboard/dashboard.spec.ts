/**
 * The dashboard over HTTP: the `dashboard` option, the page and its script as served, and the
 * control paths with control on and off (the browser side is in dashboard-browser.spec.ts).
 */
import { expect } from 'chai';
import { Script } from 'node:vm';
import { Service, silentLogger } from '../../../lib/index.js';
import { Worker } from '../../../lib/node/index.js';
import { buildTree, httpRequest, runWorker, until, type RunningWorker } from '../monitoring-helpers.js';

const HEALTH = { port: 0, host: '127.0.0.1' };

/** Reads the boot data the page script starts from. */
function bootOf(html: string): {
  title: string;
  control: boolean;
  now: number;
  crashes: Record<string, unknown>;
} {
  const match = /<script id="rxmode-boot" type="application\/json">(.*?)<\/script>/s.exec(html);
  if (!match) throw new Error('no boot data in the page');
  return JSON.parse(match[1]!) as ReturnType<typeof bootOf>;
}

const post = (port: number, path: string, headers: Record<string, string> = {}) =>
  httpRequest(port, path, { method: 'POST', headers });

describe('Worker dashboard', () => {
  let running: RunningWorker | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  describe('the dashboard option', () => {
    it('refuses a value that is not { control?: boolean }, naming the option and the value', () => {
      const build = (dashboard: unknown) => () =>
        new Worker(new Service(), { health: HEALTH, logger: silentLogger, dashboard: dashboard as never });
      expect(build(true)).to.throw(
        TypeError,
        'dashboard must be an object such as { control: true }; received true',
      );
      expect(build({ control: 'yes' })).to.throw(
        TypeError,
        'dashboard.control must be a boolean; received "yes"',
      );
      expect(build({ contrl: true })).to.throw(TypeError, 'unknown dashboard option "contrl"');
    });

    it('refuses a dashboard without the probe server that serves it', () => {
      expect(
        () => new Worker(new Service(), { logger: silentLogger, dashboard: { control: true } }),
      ).to.throw(TypeError, 'dashboard needs health: the dashboard is served by the probe server');
    });
  });

  describe('GET /dashboard', () => {
    it('serves the page with its boot data and a policy that allows only its own script', async () => {
      const { worker, consumer } = buildTree({}, '20ms');
      running = await runWorker(worker);
      const error = new RangeError('bad offset');
      consumer.crash(error);
      await until(() => (consumer.state === 'running' ? true : undefined));
      const page = await httpRequest(running.port, '/dashboard');
      expect(page.status).to.equal(200);
      expect(page.headers['content-type']).to.equal('text/html; charset=utf-8');
      expect(page.headers['content-security-policy']).to.include("script-src 'self'");
      expect(page.headers['x-frame-options']).to.equal('DENY');
      expect(page.body).to.include('<script src="dashboard/app.js" defer></script>');
      expect(page.body).to.not.match(/https?:\/\//); // nothing from a CDN
      const boot = bootOf(page.body);
      expect(boot).to.deep.include({ title: 'Worker', control: false });
      expect(boot.now).to.be.closeTo(worker.scheduler.now(), 5000);
      expect(boot.crashes[consumer.id]).to.deep.include({
        error: { name: 'RangeError', message: 'bad offset', stack: error.stack },
      });
    });

    it('escapes the root name in the page, so it cannot open an element or end the boot script', async () => {
      const worker = new Worker(new Service(), {
        name: '"><script>alert(1)<!--',
        health: HEALTH,
        logger: silentLogger,
        blockingTimeout: 0,
      });
      running = await runWorker(worker);
      const { body } = await httpRequest(running.port, '/dashboard');
      expect(body).to.not.include('<script>alert(1)');
      expect(bootOf(body).title).to.equal('"><script>alert(1)<!--');
    });

    it('serves the page script: one self-contained browser bundle, no import, no Node built-in', async () => {
      const { worker } = buildTree();
      running = await runWorker(worker);
      const script = await httpRequest(running.port, '/dashboard/app.js');
      expect(script.status).to.equal(200);
      expect(script.headers['content-type']).to.equal('text/javascript; charset=utf-8');
      expect(() => new Script(script.body)).to.not.throw(); // a classic script: no import/export
      expect(script.body).to.not.match(/\brequire\(|node:/);
      expect(script.body).to.include('EventSource');
      expect(script.body.length).to.be.below(40_000);
    });
  });

  describe('POST /control/<id>/<action>', () => {
    it('answers 404 for every control path when control is off (the default)', async () => {
      const { worker, database } = buildTree();
      running = await runWorker(worker);
      for (const action of ['restart', 'stop', 'crash']) {
        expect((await post(running.port, `/control/${database.id}/${action}`)).status).to.equal(404);
      }
      expect((await httpRequest(running.port, `/control/${database.id}/stop`)).status).to.equal(404);
      expect(database.state).to.equal('running');
      expect(bootOf((await httpRequest(running.port, '/dashboard')).body).control).to.equal(false);
    });

    it('restarts, stops and crashes the service with that id, answering 200', async () => {
      const { worker, database, api, consumer } = buildTree({ dashboard: { control: true } }, '20ms');
      running = await runWorker(worker);
      const restart = await post(running.port, `/control/${database.id}/restart`);
      expect(restart.status).to.equal(200);
      expect(JSON.parse(restart.body)).to.deep.include({
        id: database.id,
        path: 'Worker/Database',
        action: 'restart',
      });
      await until(() => (database.restartCount === 1 && database.state === 'running' ? true : undefined));

      expect((await post(running.port, `/control/${api.id}/stop`)).status).to.equal(200);
      await until(() => (api.state === 'stopped' ? true : undefined));
      expect(api.children[0]!.state).to.equal('stopped');

      const crash = await post(running.port, `/control/${consumer.id}/crash`);
      expect(crash.status).to.equal(200);
      expect(JSON.parse(crash.body)).to.deep.include({ action: 'crash', state: 'crashed' });
      expect(consumer.crashReason).to.be.instanceOf(Error).with.property('name', 'ControlCrash');
      await until(() => (consumer.state === 'running' && consumer.restartCount === 1 ? true : undefined));
      expect(bootOf((await httpRequest(running.port, '/dashboard')).body).control).to.equal(true);
    });

    it('answers 404 for an unknown id or action, 405 for GET, 409 when the action cannot apply', async () => {
      const { worker, database, api } = buildTree({ dashboard: { control: true } });
      running = await runWorker(worker);
      const port = running.port;
      expect(await post(port, '/control/nope/restart')).to.deep.include({
        status: 404,
        body: 'no service with id "nope"\n',
      });
      expect((await post(port, `/control/${database.id}/explode`)).status).to.equal(404);
      expect((await post(port, `/control/${database.id}/stop/now`)).status).to.equal(404);
      expect((await post(port, '/control/%E0%A4%A/stop')).status).to.equal(404);
      expect((await httpRequest(port, `/control/${database.id}/stop`)).status).to.equal(405);
      expect(await post(port, `/control/${worker.id}/stop`)).to.deep.include({
        status: 409,
        body: 'Worker is the root: it stops by signal, act on its services\n',
      });
      await api.stop();
      expect(await post(port, `/control/${api.id}/crash`)).to.deep.include({
        status: 409,
        body: 'cannot crash Worker/Api: it is stopped\n',
      });
      expect(worker.state).to.equal('running');
    });

    it('refuses a request sent by a page of another origin (403), and accepts its own origin', async () => {
      const { worker, database } = buildTree({ dashboard: { control: true } });
      running = await runWorker(worker);
      const port = running.port;
      const path = `/control/${database.id}/stop`;
      expect(await post(port, path, { Origin: 'http://evil.example' })).to.deep.include({ status: 403 });
      expect((await post(port, path, { Origin: `http://localhost:${port + 1}` })).status).to.equal(403);
      expect((await post(port, path, { Origin: 'null' })).status).to.equal(403);
      expect((await post(port, path, { 'Sec-Fetch-Site': 'cross-site' })).status).to.equal(403);
      expect(database.state).to.equal('running');
      expect((await post(port, path, { Origin: `http://127.0.0.1:${port}` })).status).to.equal(200);
      await until(() => (database.state === 'stopped' ? true : undefined));
    });
  });
});
