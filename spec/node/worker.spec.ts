/**
 * The Worker in this process: construction and options, the probes over real HTTP, the logger, and
 * the listeners it installs and removes. Exit codes with real signals are in worker-process.spec.ts.
 */
import { expect } from 'chai';
import { Service, silentLogger, isServiceError, type Logger } from '../../lib/index.js';
import { BlockingDetector, Worker, type WorkerOptions } from '../../lib/node/index.js';
import { resolveWorkerConfig } from '../../lib/node/worker-options.js';
import { deferred } from '../support/lifecycle.js';
import { delay, httpGet } from './helpers.js';

const EVENTS = ['SIGINT', 'SIGTERM', 'SIGUSR1', 'uncaughtException', 'unhandledRejection'] as const;
const listenerCounts = (): number[] => EVENTS.map((event) => process.listenerCount(event));

/** Resolves once `read()` returns a value, polling every 5 ms of real time. */
async function until<T>(read: () => T | undefined, timeoutMs = 2000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error('condition not met in time');
    await delay(5);
  }
}

function recordingLogger(): Logger & {
  records: { level: string; fields: Record<string, unknown>; msg: string }[];
} {
  const records: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
  const log =
    (level: string) =>
    (fields: object | string, msg?: string): void => {
      records.push(
        typeof fields === 'string'
          ? { level, fields: {}, msg: fields }
          : { level, fields: fields as Record<string, unknown>, msg: msg ?? '' },
      );
    };
  return { records, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

const HEALTH = { port: 0, host: '127.0.0.1' };

/** A service named Draining whose stop waits for `gate`. */
function drainingUntil(gate: Promise<void>): Service {
  class Draining extends Service {
    protected override onStop(): Promise<void> {
      return gate;
    }
  }
  return new Draining();
}

describe('Worker', () => {
  describe('new Worker()', () => {
    it('adopts the services as its children, after its BlockingDetector', () => {
      const a = new Service({ name: 'A' });
      const b = new Service({ name: 'B' });
      const worker = new Worker(a, b, { logger: silentLogger });
      expect(worker.name).to.equal('Worker');
      expect(worker.children.map((c) => c.path)).to.deep.equal([
        'Worker/BlockingDetector',
        'Worker/A',
        'Worker/B',
      ]);
      expect(worker.children[0]).to.be.instanceOf(BlockingDetector);
      expect((worker.children[0] as BlockingDetector).timeoutMs).to.equal(10_000);
    });

    it('adds no BlockingDetector with blockingTimeout: 0, and takes a name', () => {
      const worker = new Worker(new Service({ name: 'A' }), {
        blockingTimeout: 0,
        name: 'App',
        logger: silentLogger,
      });
      expect(worker.children.map((c) => c.path)).to.deep.equal(['App/A']);
    });

    it('accepts services without options', () => {
      expect(new Worker(new Service({ name: 'A' })).children).to.have.length(2);
      expect(new Worker().children).to.have.length(1);
    });

    it('refuses an argument that is not a Service before the options', () => {
      expect(() => new Worker({} as Service, new Service())).to.throw(
        TypeError,
        /argument 1 must be a Service/,
      );
      expect(() => new Worker(new Service(), 'fast' as never)).to.throw(
        TypeError,
        /options must be an object/,
      );
    });

    it('refuses invalid options with a TypeError naming the option and the value', () => {
      const bad: [Record<string, unknown>, RegExp][] = [
        [{ shutdownTimeout: 'soon' }, /shutdownTimeout .*"soon"/],
        [{ signals: ['SIGKILL'] }, /signals .*"SIGKILL"/],
        [{ signals: 'SIGTERM' }, /signals must be an array/],
        [{ logLevel: 'loud' }, /logLevel .*"loud"/],
        [{ logFormat: 'xml' }, /logFormat .*"xml"/],
        [{ blockingTimeout: -1 }, /blockingTimeout .*-1/],
        [{ drainDelay: '5 minutes' }, /drainDelay/],
        [{ terminationGracePeriod: 'soon' }, /terminationGracePeriod .*"soon"/],
        [{ health: { port: 70000 } }, /health.port .*70000/],
        [{ health: { port: 0, host: '' } }, /health.host/],
        [{ shutdownTimout: '1s' }, /unknown Worker option "shutdownTimout"/],
      ];
      for (const [options, message] of bad)
        expect(() => new Worker(options as never)).to.throw(TypeError, message);
    });

    it('gives the tree shutdownTimeout as its stop budget', async () => {
      class Stuck extends Service {
        protected override onStop(): Promise<void> {
          return new Promise(() => {});
        }
      }
      const worker = new Worker(new Stuck(), {
        shutdownTimeout: 40,
        logger: silentLogger,
        blockingTimeout: 0,
      });
      await worker.start();
      const started = Date.now();
      const error: unknown = await worker.stop().catch((e: unknown) => e);
      expect(Date.now() - started).to.be.below(1000);
      expect(isServiceError(error) && error.code).to.equal('ERR_STOP_TIMEOUT');
      expect((error as { stuck: { path: string; phase: string }[] }).stuck[0]).to.include({
        path: 'Worker/Stuck',
        phase: 'onStop',
      });
    });
  });

  describe('#runUntilExit()', () => {
    it('resolves 0 after worker.stop(), with every listener it installed removed', async () => {
      const before = listenerCounts();
      const worker = new Worker(new Service({ name: 'A' }), { logger: silentLogger });
      const exit = worker.runUntilExit();
      await worker.waitFor('running');
      expect(listenerCounts()).to.deep.equal(before.map((n) => n + 1));
      await worker.stop();
      expect(await exit).to.equal(0);
      expect(listenerCounts()).to.deep.equal(before);
    });

    it('rejects a second call while it runs', async () => {
      const worker = new Worker({ logger: silentLogger, blockingTimeout: 0 });
      const exit = worker.runUntilExit();
      const error: unknown = await worker.runUntilExit().catch((e: unknown) => e);
      expect(isServiceError(error) && error.code).to.equal('ERR_INVALID_STATE');
      await worker.waitFor('running');
      await worker.stop();
      expect(await exit).to.equal(0);
    });

    it('resolves 1 when a stop hook fails', async () => {
      class Leaky extends Service {
        protected override onShutdown(): void {
          throw new Error('could not close the pool');
        }
      }
      const logger = recordingLogger();
      const worker = new Worker(new Leaky(), { logger, blockingTimeout: 0 });
      const exit = worker.runUntilExit();
      await worker.waitFor('running');
      await worker.stop().catch(() => {});
      expect(await exit).to.equal(1);
      expect(logger.records.at(-1)).to.deep.include({ level: 'error', msg: 'exit code 1' });
    });

    it('logs the lifecycle to the logger it was given, labelled with service paths', async () => {
      const logger = recordingLogger();
      const worker = new Worker(new Service({ name: 'Db' }), { logger, blockingTimeout: 0 });
      const exit = worker.runUntilExit();
      await worker.waitFor('running');
      await worker.stop();
      await exit;
      const lines = logger.records.map((r) => `${String(r.fields.service)}: ${r.msg}`);
      expect(lines).to.include('Worker/Db: starting');
      expect(lines.some((line) => /^Worker\/Db: running \(started in \d+ ms\)$/.test(line))).to.equal(true);
      expect(lines).to.include('Worker: stopping (requested)');
      expect(lines.at(-1)).to.equal('Worker: exit code 0');
    });
  });

  describe('health probes', () => {
    it('serve /livez, /readyz, /startupz and /state as the tree starts, runs and stops', async () => {
      const gate = deferred();
      class Slow extends Service {
        protected override onStart(): Promise<void> {
          return gate.promise;
        }
      }
      const slow = new Slow();
      const worker = new Worker(slow, { health: HEALTH, logger: silentLogger, blockingTimeout: 0 });
      const exit = worker.runUntilExit();
      const { port } = await until(() => worker.healthAddress);
      expect(port).to.be.greaterThan(0);
      expect((await httpGet(port, '/livez')).status).to.equal(200);
      expect(await httpGet(port, '/startupz')).to.deep.include({ status: 503 });
      expect(await httpGet(port, '/readyz')).to.deep.include({ status: 503, body: 'Worker is starting\n' });

      gate.resolve();
      await worker.waitFor('running');
      expect(await httpGet(port, '/startupz')).to.deep.equal({ status: 200, body: 'ok\n' });
      expect(await httpGet(port, '/readyz')).to.deep.equal({ status: 200, body: 'ok\n' });
      const state = JSON.parse((await httpGet(port, '/state')).body) as {
        path: string;
        children: { path: string; state: string }[];
      };
      expect(state.path).to.equal('Worker');
      expect(state.children.map((c) => [c.path, c.state])).to.deep.equal([['Worker/Slow', 'running']]);
      expect((await httpGet(port, '/metrics')).status).to.equal(200);
      expect((await httpGet(port, '/livez', 'POST')).status).to.equal(405);

      await slow.stop(); // one service of the tree is down: not ready, still alive and started
      expect(await httpGet(port, '/readyz')).to.deep.equal({ status: 503, body: 'Worker/Slow is stopped\n' });
      expect((await httpGet(port, '/livez')).status).to.equal(200);
      expect((await httpGet(port, '/startupz')).status).to.equal(200);

      await worker.stop();
      expect(await exit).to.equal(0);
      expect(worker.healthAddress).to.equal(undefined);
      const refused: unknown = await httpGet(port, '/livez').catch((e: unknown) => e);
      expect((refused as NodeJS.ErrnoException).code).to.equal('ECONNREFUSED');
    });

    it('report /livez 503 once the root crashed, while the tree is torn down', async () => {
      const gate = deferred();
      const worker = new Worker(drainingUntil(gate.promise), {
        health: HEALTH,
        logger: silentLogger,
        blockingTimeout: 0,
      });
      const exit = worker.runUntilExit();
      await worker.waitFor('running');
      const { port } = worker.healthAddress!;
      worker.crash(new Error('the disk is full'));
      expect(await httpGet(port, '/livez')).to.deep.equal({
        status: 503,
        body: 'crashed: Error: the disk is full\n',
      });
      expect(await httpGet(port, '/readyz')).to.deep.equal({
        status: 503,
        body: 'terminating (Worker is crashed)\n',
      });
      gate.resolve();
      expect(await exit).to.equal(1);
    });

    it('close last: the probes still answer during the last stop hook of the tree', async () => {
      let seen: number | undefined;
      let port = 0;
      class Last extends Service {
        protected override async onShutdown(): Promise<void> {
          seen = (await httpGet(port, '/livez')).status;
        }
      }
      const worker = new Worker(new Last(), { health: HEALTH, logger: silentLogger });
      const exit = worker.runUntilExit();
      await worker.waitFor('running');
      port = worker.healthAddress!.port;
      await worker.stop();
      expect(await exit).to.equal(0);
      expect(seen).to.equal(200);
    });

    it('leave room for more routes on healthServer', async () => {
      const worker = new Worker({ health: HEALTH, logger: silentLogger, blockingTimeout: 0 });
      worker.healthServer!.route('/metrics', (_request, response) => response.end('rxmode_up 1\n'));
      const exit = worker.runUntilExit();
      await worker.waitFor('running');
      expect(await httpGet(worker.healthAddress!.port, '/metrics')).to.deep.equal({
        status: 200,
        body: 'rxmode_up 1\n',
      });
      await worker.stop();
      await exit;
    });

    it('resolve 1 without starting the tree when the port is taken', async () => {
      const first = new Worker({ health: HEALTH, logger: silentLogger, blockingTimeout: 0 });
      const exitFirst = first.runUntilExit();
      await first.waitFor('running');
      const logger = recordingLogger();
      const second = new Worker({
        health: { ...HEALTH, port: first.healthAddress!.port },
        logger,
        blockingTimeout: 0,
      });
      expect(await second.runUntilExit()).to.equal(1);
      expect(second.state).to.equal('init');
      expect(logger.records.map((r) => r.msg)).to.include('the health server could not listen');
      await first.stop();
      await exitFirst;
    });
  });

  describe('readiness (/readyz)', () => {
    /** Ends its work, then stops itself: a migration that is done. */
    class Migration extends Service {
      protected override async run(): Promise<void> {
        await delay(20);
        void this.stop();
      }
    }

    it('ignores a service with essential: false that stopped on purpose; /state shows essential', async () => {
      const migration = new Migration({ name: 'Migration', essential: false });
      const worker = new Worker(migration, new Service({ name: 'Api' }), {
        health: HEALTH,
        logger: silentLogger,
        blockingTimeout: 0,
      });
      const exit = worker.runUntilExit();
      await worker.waitFor('running');
      await migration.waitFor('stopped');
      const { port } = worker.healthAddress!;
      expect(await httpGet(port, '/readyz')).to.deep.equal({ status: 200, body: 'ok\n' });
      const state = JSON.parse((await httpGet(port, '/state')).body) as {
        children: { path: string; state: string; essential?: boolean }[];
      };
      expect(state.children.map((c) => [c.path, c.state, c.essential])).to.deep.equal([
        ['Worker/Migration', 'stopped', false],
        ['Worker/Api', 'running', undefined],
      ]);
      await worker.stop();
      expect(await exit).to.equal(0);
    });

    it('names an essential service that stopped on purpose, with its path and state', async () => {
      const migration = new Migration({ name: 'Migration' });
      const worker = new Worker(new Service({ name: 'Api' }), migration, {
        health: HEALTH,
        logger: silentLogger,
        blockingTimeout: 0,
      });
      const exit = worker.runUntilExit();
      await migration.waitFor('stopped');
      expect(await httpGet(worker.healthAddress!.port, '/readyz')).to.deep.equal({
        status: 503,
        body: 'Worker/Migration is stopped\n',
      });
      await worker.stop();
      expect(await exit).to.equal(0);
    });

    it('counts the essential children of a running non-essential service, not of a stopped one', async () => {
      const cache = new Service({ name: 'Cache', essential: false });
      const db = new Service({ name: 'Db' });
      cache.addDependency(db);
      const worker = new Worker(cache, { health: HEALTH, logger: silentLogger, blockingTimeout: 0 });
      const exit = worker.runUntilExit();
      await worker.waitFor('running');
      const { port } = worker.healthAddress!;
      expect((await httpGet(port, '/readyz')).status).to.equal(200);
      await db.stop(); // its parent runs: it counts
      expect(await httpGet(port, '/readyz')).to.deep.equal({
        status: 503,
        body: 'Worker/Cache/Db is stopped\n',
      });
      await cache.stop(); // its parent is down and not essential: neither counts
      expect(await httpGet(port, '/readyz')).to.deep.equal({ status: 200, body: 'ok\n' });
      await worker.stop();
      expect(await exit).to.equal(0);
    });

    it('says terminating once a stop of the tree has begun', async () => {
      const gate = deferred();
      const worker = new Worker(drainingUntil(gate.promise), {
        health: HEALTH,
        logger: silentLogger,
        blockingTimeout: 0,
      });
      const exit = worker.runUntilExit();
      await worker.waitFor('running');
      const { port } = worker.healthAddress!;
      const stopping = worker.stop();
      expect(await httpGet(port, '/readyz')).to.deep.equal({
        status: 503,
        body: 'terminating (Worker is stopping)\n',
      });
      gate.resolve();
      await stopping;
      expect(await exit).to.equal(0);
    });
  });

  describe('terminationGracePeriod', () => {
    const budget = (options: WorkerOptions, env: Record<string, string> = {}): unknown =>
      resolveWorkerConfig([{ logger: silentLogger, ...options }], env).serviceOptions.stopTimeout;

    it('defaults shutdownTimeout to what is left after drainDelay and a 2 s margin', () => {
      expect(budget({})).to.equal(30_000); // no grace period: the plain default
      expect(budget({ terminationGracePeriod: '30s' })).to.equal(28_000);
      expect(budget({ terminationGracePeriod: '45s', drainDelay: '5s' })).to.equal(38_000);
      expect(budget({ terminationGracePeriod: '45s', drainDelay: '5s', shutdownTimeout: '40s' })).to.equal(
        40_000,
      ); // given, and it fits
    });

    it('refuses options that cannot fit with a TypeError naming the three values', () => {
      expect(
        () => new Worker({ terminationGracePeriod: '30s', drainDelay: '5s', shutdownTimeout: '30s' }),
      ).to.throw(
        TypeError,
        'drainDelay (5.00 seconds) + shutdownTimeout (30.00 seconds) do not fit in terminationGracePeriod (30.00 seconds)',
      );
      expect(() => new Worker({ terminationGracePeriod: '3s', drainDelay: '1s' })).to.throw(
        TypeError,
        'terminationGracePeriod (3.00 seconds) leaves no shutdownTimeout (0 ms) after drainDelay (1.00 second) and the 2.00 seconds margin',
      );
    });

    it('reads RXMODE_TERMINATION_GRACE_PERIOD: seconds as in the pod spec, or a duration', () => {
      const env = 'RXMODE_TERMINATION_GRACE_PERIOD';
      expect(budget({}, { [env]: '45' })).to.equal(43_000);
      expect(budget({ drainDelay: '5s' }, { [env]: '1m' })).to.equal(53_000);
      expect(budget({}, { [env]: '' })).to.equal(30_000);
      expect(budget({ terminationGracePeriod: '10s' }, { [env]: '45' })).to.equal(8000); // the option wins
      expect(() => budget({}, { [env]: 'forty' })).to.throw(
        TypeError,
        /RXMODE_TERMINATION_GRACE_PERIOD must be .*"forty"/,
      );
      expect(() => budget({ shutdownTimeout: '30s' }, { [env]: '20' })).to.throw(
        TypeError,
        'drainDelay (0 ms) + shutdownTimeout (30.00 seconds) do not fit in RXMODE_TERMINATION_GRACE_PERIOD=20 (20.00 seconds)',
      );
    });
  });
});
