/**
 * ThreadService with real worker threads (booted through tsx): the mirrored tree, events and run$,
 * call(), crashes in both directions, stops from the thread, load failures, and a thread that stops
 * answering.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { Service, isServiceError, type LifecycleEvent } from '../../../lib/index.js';
import {
  BackgroundThreadService,
  ThreadService,
  type ThreadServiceOptions,
} from '../../../lib/node/index.js';
import type { Hasher } from '../fixtures/thread-services.js';
import { fixturePath } from '../helpers.js';

const MODULE = fixturePath('thread-services.ts');
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

function hasherThread(options: ThreadServiceOptions = {}): ThreadService<string, Hasher> {
  return new ThreadService<string, Hasher>(MODULE, { export: 'Hasher', ...options });
}

async function failure(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('ThreadService', function () {
  this.timeout(8000);
  const started: Service<any>[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((service) => service.stop().catch(() => {})));
  });
  const track = <S extends Service<any>>(service: S): S => (started.push(service), service);

  describe('a running thread', () => {
    let hasher: ThreadService<string, Hasher>;
    const events: LifecycleEvent[] = [];
    const values: string[] = [];
    before(async () => {
      hasher = hasherThread({ blockingTimeout: 100 });
      hasher.events$.subscribe((event) => events.push(event));
      hasher.run$.subscribe((value) => values.push(value));
      await hasher.start();
    });
    after(() => hasher.stop());

    it('runs the service of the module in a thread', () => {
      expect(hasher.state).to.equal('running');
      expect(hasher.name).to.equal('Hasher');
      expect(hasher.threadId).to.be.a('number').and.to.be.greaterThan(0);
    });

    it("mirrors the thread's tree in toJSON(), under its own path", () => {
      const snapshot = hasher.toJSON();
      expect(snapshot.children.map((c) => [c.path, c.state, c.id])).to.deep.equal([
        ['Hasher/Cache', 'running', `${hasher.id}:${snapshot.children[0]!.id.split(':')[1]}`],
      ]);
    });

    it("mirrors the events of the thread's descendants and its hooks", () => {
      const lines = events.map((e) =>
        e.type === 'state'
          ? `${e.service.path} ${e.to}`
          : e.type === 'hook'
            ? `${e.service.path} ${e.hook}`
            : e.type,
      );
      expect(lines).to.include.members([
        'Hasher/Cache starting',
        'Hasher/Cache running',
        'Hasher thread:onStarted',
      ]);
      expect(lines.filter((line) => line === 'Hasher running')).to.have.length(1); // its own state, once
    });

    it("mirrors run$ values from the thread's service", () => {
      expect(values).to.deep.equal(['hello from the thread']);
    });

    it("does not report the thread when the parent's own event loop stalls", async () => {
      const blocked: LifecycleEvent[] = [];
      const subscription = hasher.events$.subscribe((e) => e.type === 'blocked' && blocked.push(e));
      const end = Date.now() + 300;
      while (Date.now() < end) {
        // the parent's loop is blocked; the thread is fine
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      subscription.unsubscribe();
      expect(blocked).to.deep.equal([]);
    });

    it("call() runs a method of the thread's service and resolves its result", async () => {
      expect(await hasher.call('hash', 'abc')).to.equal(sha256('abc'));
      expect(await hasher.call('slowHash', 'x', 20)).to.equal(sha256('x'));
    });

    it("call() rejects with the method's error, keeping its name, message, fields and stack", async () => {
      const error = await failure(hasher.call('fail', 'bad input'));
      expect(error).to.be.instanceOf(Error);
      expect(error).to.include({ name: 'HashError', message: 'bad input', code: 'E_HASH' });
      expect(error.stack).to.match(/^HashError: bad input\n\s+at .*Hasher\.fail .*thread-services\.ts/);
    });

    it('call() rejects with the standard error classes rebuilt, keeping message, stack and cause', async () => {
      const classes = [RangeError, TypeError, SyntaxError, ReferenceError, EvalError, URIError];
      for (const Standard of classes) {
        const error = await failure(hasher.call('failWith', Standard.name, 'no good'));
        expect(error, Standard.name).to.be.instanceOf(Standard);
        expect(error).to.include({ name: Standard.name, message: 'no good' });
        expect(error.stack).to.match(new RegExp(`^${Standard.name}: no good\\n\\s+at .*Hasher\\.failWith`));
        expect(error.cause).to.be.instanceOf(TypeError).and.to.include({ message: 'the cause' });
      }
      const aggregate = await failure(hasher.call('failWith', 'AggregateError', 'all failed'));
      expect(aggregate).to.be.instanceOf(AggregateError).and.to.include({ message: 'all failed' });
      expect(aggregate.errors).to.have.length(1);
      expect(aggregate.errors[0]).to.be.instanceOf(RangeError).and.to.include({ message: 'inner' });
      expect(aggregate.cause).to.be.instanceOf(TypeError);
    });

    it('call() rejects a method the service does not have', async () => {
      const untyped: ThreadService<string> = hasher; // without the service type, any name goes
      const error = await failure(untyped.call('nope'));
      expect(error).to.include({ name: 'TypeError', message: 'Hasher has no method "nope"' });
      expect(() => untyped.call('')).to.throw(TypeError, /method must be a non-empty string/);
    });
  });

  describe('crashes', () => {
    it('crashes with the error of a crash in the thread (name, message, stack)', async () => {
      const hasher = track(hasherThread());
      await hasher.start();
      await hasher.call('crashSoon', 'the disk is gone');
      await hasher.waitFor('crashed');
      expect(hasher.state).to.equal('crashed');
      const reason = hasher.crashReason as Error & { code: string };
      expect(reason).to.include({ name: 'HashError', message: 'the disk is gone', code: 'E_HASH' });
      expect(reason.stack).to.include('thread-services.ts');
      expect(hasher.threadId).to.equal(undefined); // torn down: the thread ended
    });

    it('crashes when the thread has an uncaught exception', async () => {
      const hasher = track(hasherThread());
      await hasher.start();
      await hasher.call('throwUncaught', 'out of range');
      await hasher.waitFor('crashed');
      expect(hasher.crashReason).to.be.instanceOf(RangeError);
      expect(hasher.crashReason).to.include({ name: 'RangeError', message: 'out of range' });
    });

    it('carries crash() to the service in the thread', async () => {
      const hasher = track(hasherThread());
      const hooks: string[] = [];
      hasher.events$.subscribe((e) => e.type === 'hook' && hooks.push(e.hook));
      await hasher.start();
      hasher.crash(new Error('the parent gave up'));
      await hasher.waitFor('crashed');
      expect(hooks).to.include('thread:onCrash');
      expect(hooks.indexOf('thread:onCrash')).to.be.below(hooks.indexOf('thread:onShutdown'));
    });

    it('crashes with ThreadServiceError when the thread exits on its own', async () => {
      const hasher = track(hasherThread());
      await hasher.start();
      await hasher.call('exitThread', 3);
      await hasher.waitFor('crashed');
      const reason = hasher.crashReason;
      expect(isServiceError(reason) && reason.code).to.equal('ERR_THREAD');
      expect((reason as Error).message).to.equal('Hasher: the thread exited with code 3');
    });

    it('reaches its parent like any crash', async () => {
      const parent = track(new Service({ name: 'App' }));
      const hasher = parent.addDependency(hasherThread());
      await parent.start();
      await hasher.call('crashSoon', 'escalate me');
      await parent.waitUntilStopped();
      expect(parent.crashReason).to.include({ name: 'HashError', message: 'escalate me' });
    });
  });

  describe('stops', () => {
    it('stops when the service in the thread stops on its own', async () => {
      const hasher = track(hasherThread());
      const reasons: string[] = [];
      hasher.stop$.subscribe((reason) => reasons.push(reason.type));
      await hasher.start();
      await hasher.call('stopSoon');
      await hasher.waitFor('stopped');
      expect(reasons).to.deep.equal(['manual']);
      expect(hasher.toJSON().children.map((c) => c.state)).to.deep.equal(['stopped']);
    });

    it('restarts with a new thread', async () => {
      const hasher = track(hasherThread());
      await hasher.start();
      const first = hasher.threadId;
      await hasher.restart();
      expect(hasher.state).to.equal('running');
      expect(hasher.restartCount).to.equal(1);
      expect(hasher.threadId).to.be.a('number').and.not.to.equal(first);
      expect(await hasher.call('hash', 'again')).to.equal(sha256('again'));
    });

    it('reports a thread that stops answering and terminates it when the stop budget runs out', async () => {
      const hasher = track(hasherThread({ blockingTimeout: 100, stopTimeout: 400 }));
      const blocked: Extract<LifecycleEvent, { type: 'blocked' }>[] = [];
      hasher.events$.subscribe((e) => e.type === 'blocked' && blocked.push(e));
      await hasher.start();
      const spinning = hasher.call('spin', 10_000).catch((e: unknown) => e);
      for (let i = 0; i < 300 && blocked.length === 0; i++)
        await new Promise((resolve) => setTimeout(resolve, 10));
      expect(blocked).to.have.length(1); // from the heartbeat, while it runs
      expect(blocked[0]!.lagMs).to.be.at.least(100);
      expect(blocked[0]!.running).to.include('Hasher:call:spin'); // with the thread's own run loop
      const begun = Date.now();
      const error = await failure(hasher.stop());
      expect(Date.now() - begun).to.be.below(3000); // the 400 ms budget, with room for a loaded machine
      expect(isServiceError(error) && error.code).to.equal('ERR_STOP_TIMEOUT');
      expect(hasher.state).to.equal('stopped');
      expect(hasher.threadId).to.equal(undefined);
      const spinError = (await spinning) as Error;
      expect(isServiceError(spinError) && spinError.code).to.equal('ERR_THREAD');
    });
  });

  describe('#start()', () => {
    it('rejects with the error of a failing start in the thread', async () => {
      const thread = track(new ThreadService(MODULE, { export: 'FailsToStart' }));
      const error = await failure(thread.start());
      expect(error).to.include({ name: 'HashError', message: 'no database in the thread' });
      expect(thread.state).to.equal('crashed');
    });

    it('rejects with ThreadServiceError when the export is missing or not a service', async () => {
      const missing = track(new ThreadService(MODULE, { export: 'Missing' }));
      const error = await failure(missing.start());
      expect(isServiceError(error) && error.code).to.equal('ERR_THREAD');
      expect(error.message).to.match(
        /cannot load .*thread-services\.ts \(TypeError: .* has no export "Missing"\)/,
      );
      const notService = track(new ThreadService(MODULE, { export: 'notAService' }));
      expect((await failure(notService.start())).cause.message).to.match(
        /is not a Service class, factory or instance/,
      );
    });

    it('rejects with ThreadServiceError when the thread itself fails to boot', async () => {
      const broken = track(hasherThread({ entry: fixturePath('no-such-entry.ts') }));
      const error = await failure(broken.start());
      expect(isServiceError(error) && error.code).to.equal('ERR_THREAD');
      expect(error.message).to.match(
        /^Hasher: the thread failed \(Error: Cannot find module .*no-such-entry\.ts/,
      );
      expect(broken.state).to.equal('crashed');
    });

    it('calls a factory export with args; the default export is used without `export`', async () => {
      const made = track(new ThreadService<string, Hasher>(MODULE, { export: 'makeHasher', args: [2] }));
      const byDefault = track(new ThreadService<string, Hasher>(MODULE));
      await Promise.all([made.start(), byDefault.start()]);
      expect(await made.call('hash', 'abc')).to.equal(sha256(sha256('abc')));
      expect(byDefault.name).to.equal('thread-services');
      expect(await byDefault.call('hash', 'abc')).to.equal(sha256('abc'));
    });
  });

  describe('#call()', () => {
    it('rejects with InvalidStateError before the thread runs', async () => {
      const error = await failure(hasherThread().call('hash', 'abc'));
      expect(isServiceError(error) && error.code).to.equal('ERR_INVALID_STATE');
    });
  });

  describe('new ThreadService()', () => {
    it('refuses an invalid module, export, args or blockingTimeout', () => {
      expect(() => new ThreadService('')).to.throw(TypeError, /module must be a file path or a file URL/);
      expect(() => new ThreadService(MODULE, { export: '' })).to.throw(
        TypeError,
        /export must be a non-empty string/,
      );
      expect(() => new ThreadService(MODULE, { args: 'x' as never })).to.throw(
        TypeError,
        /args must be an array/,
      );
      expect(() => new ThreadService(MODULE, { blockingTimeout: 'never' as never })).to.throw(
        TypeError,
        /blockingTimeout/,
      );
    });

    it('is also exported as BackgroundThreadService (Mode)', () => {
      expect(BackgroundThreadService).to.equal(ThreadService);
    });
  });
});
