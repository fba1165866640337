/**
 * The probe server: its route table over real HTTP, errors, and closing.
 */
import { expect } from 'chai';
import { Agent, get } from 'node:http';
import { HealthServer, sendJSON, sendText } from '../../lib/node/index.js';
import { httpGet } from './helpers.js';

describe('HealthServer', () => {
  let server: HealthServer;
  beforeEach(() => (server = new HealthServer({ port: 0, host: '127.0.0.1' })));
  afterEach(() => server.close());

  describe('#route()', () => {
    it('serves the routes it was given and answers 404 for the rest', async () => {
      server.route('/ping', (_request, response) => sendText(response, 200, 'pong'));
      server.route('/state', (_request, response) => sendJSON(response, 200, { ok: true }));
      const { port } = await server.listen();
      expect(await httpGet(port, '/ping')).to.deep.equal({ status: 200, body: 'pong\n' });
      expect(JSON.parse((await httpGet(port, '/state?pretty=1')).body)).to.deep.equal({ ok: true });
      expect(await httpGet(port, '/nothing')).to.deep.equal({ status: 404, body: 'not found\n' });
      expect(server.paths).to.deep.equal(['/ping', '/state']);
    });

    it('answers 405 for another method, and HEAD without a body', async () => {
      server.route('/ping', (_request, response) => sendText(response, 200, 'pong'));
      server.route('/control', (_request, response) => sendText(response, 202, 'done'), {
        methods: ['post'],
        prefix: true,
      });
      const { port } = await server.listen();
      expect(await httpGet(port, '/ping', 'HEAD')).to.deep.equal({ status: 200, body: '' });
      expect(await httpGet(port, '/ping', 'DELETE')).to.deep.equal({
        status: 405,
        body: 'method not allowed\n',
      });
      expect(await httpGet(port, '/control/7/restart', 'POST')).to.deep.equal({
        status: 202,
        body: 'done\n',
      });
      expect((await httpGet(port, '/control/7/restart')).status).to.equal(405);
      expect((await httpGet(port, '/controls')).status).to.equal(404);
    });

    it('answers 500 when a handler throws or rejects', async () => {
      server.route('/sync', () => {
        throw new Error('no snapshot');
      });
      server.route('/async', () => Promise.reject(new Error('no registry')));
      const { port } = await server.listen();
      expect(await httpGet(port, '/sync')).to.deep.equal({ status: 500, body: 'error: no snapshot\n' });
      expect(await httpGet(port, '/async')).to.deep.equal({ status: 500, body: 'error: no registry\n' });
    });

    it('replaces a route of the same path, and removes it through the returned function', async () => {
      server.route('/v', (_q, r) => sendText(r, 200, 'one'));
      const remove = server.route('/v', (_q, r) => sendText(r, 200, 'two'));
      const { port } = await server.listen();
      expect((await httpGet(port, '/v')).body).to.equal('two\n');
      remove();
      expect((await httpGet(port, '/v')).status).to.equal(404);
    });

    it('refuses a path without a leading slash or a handler that is not a function', () => {
      expect(() => server.route('ping', () => {})).to.throw(
        TypeError,
        /path must be a string starting with '\/'/,
      );
      expect(() => server.route('/ping', 'pong' as never)).to.throw(TypeError, /handler must be a function/);
    });
  });

  describe('#listen()', () => {
    it('reports the real port when given port 0', async () => {
      const address = await server.listen();
      expect(address.host).to.equal('127.0.0.1');
      expect(address.port).to.be.greaterThan(0);
      expect(server.address).to.deep.equal(address);
    });

    it('rejects when the port is taken', async () => {
      const { port } = await server.listen();
      const other = new HealthServer({ port, host: '127.0.0.1' });
      const error: unknown = await other.listen().catch((e: unknown) => e);
      expect((error as NodeJS.ErrnoException).code).to.equal('EADDRINUSE');
      expect(other.address).to.equal(undefined);
    });
  });

  describe('#close()', () => {
    it('stops listening even with a connection kept alive, and may be called twice', async () => {
      server.route('/ping', (_q, r) => sendText(r, 200, 'pong'));
      const { port } = await server.listen();
      const agent = new Agent({ keepAlive: true });
      await new Promise<void>((resolve) => {
        get({ host: '127.0.0.1', port, path: '/ping', agent }, (res) => res.resume().on('end', resolve));
      });
      const started = Date.now();
      await server.close();
      expect(Date.now() - started).to.be.below(1000); // not the 5 s keep-alive timeout
      await server.close();
      agent.destroy();
      expect(server.address).to.equal(undefined);
      const error: unknown = await httpGet(port, '/ping').catch((e: unknown) => e);
      expect((error as NodeJS.ErrnoException).code).to.equal('ECONNREFUSED');
    });
  });

  it('refuses an invalid port or host', () => {
    expect(() => new HealthServer({ port: 1.5 })).to.throw(TypeError, /options.port/);
    expect(() => new HealthServer({ port: 80, host: 7 as never })).to.throw(TypeError, /options.host/);
    expect(() => new HealthServer(undefined as never)).to.throw(TypeError, /options must be an object/);
  });
});
