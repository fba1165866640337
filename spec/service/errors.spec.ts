// Specs for the error catalogue as lifecycle users meet it (API.md section 10): each class's code,
// name and fields when the service raises it, `cause`, and isServiceError across duplicate copies.
import { expect } from 'chai';
import * as rxmode from '../../lib/index.js';
import {
  InvalidRunError,
  InvalidStateError,
  MaxRestartsExceededError,
  Service,
  ServiceCrashedError,
  ServiceError,
  ServiceStopError,
  StartTimeoutError,
  StopTimeoutError,
  ThreadServiceError,
  WaitTimeoutError,
  isServiceError,
  type ServiceErrorCode,
} from '../../lib/index.js';
import {
  deferred,
  flush,
  hangs,
  outcome,
  probe,
  rejects,
  track,
  useFakeClock,
} from '../support/lifecycle.js';

/** Loads a second, independent copy of the library, as a bundle duplicating rxmode would. */
async function loadSecondCopy(): Promise<typeof rxmode> {
  const url = new URL('../../lib/index.ts?second-copy', import.meta.url).href;
  return (await import(url)) as typeof rxmode;
}

/** Asserts what every rxmode error shares. */
function expectServiceError(
  error: unknown,
  name: string,
  code: ServiceErrorCode,
  service: Service<any>,
): void {
  expect(error).to.be.instanceOf(Error);
  expect(error).to.be.instanceOf(ServiceError);
  expect(isServiceError(error)).to.equal(true);
  const e = error as ServiceError;
  expect(e.name).to.equal(name);
  expect(e.code).to.equal(code);
  expect(e.service).to.deep.equal({ id: service.id, name: service.name, path: service.path });
  expect(e.message).to.include(service.path);
  expect(e.stack).to.be.a('string');
}

describe('errors', () => {
  describe('as raised by a service', () => {
    const fake = useFakeClock();

    it('ServiceStopError: ERR_STOP_FAILED with service and every error', async () => {
      const p = new Service({ name: 'P' });
      const e1 = new Error('one');
      const e2 = new Error('two');
      p.addDependency(probe([], 'A', { hooks: { onShutdown: rejects(e1) } }));
      p.addTeardown(() => {
        throw e2;
      });
      await p.start();
      const { error } = (await outcome(p.stop())) as { error: ServiceStopError };
      expectServiceError(error, 'ServiceStopError', 'ERR_STOP_FAILED', p);
      expect(error).to.be.instanceOf(ServiceStopError);
      expect(error.errors).to.deep.equal([e1, e2]);
    });

    it('StartTimeoutError: ERR_START_TIMEOUT with service, phase and timeoutMs', async () => {
      const svc = probe([], 'S', { startTimeout: '1.5s', hooks: { onStarted: hangs() } });
      const started = track(svc.start());
      await fake.clock.tickAsync(1500);
      await flush();
      const error = started.error as StartTimeoutError;
      expectServiceError(error, 'StartTimeoutError', 'ERR_START_TIMEOUT', svc);
      expect(error.phase).to.equal('onStarted');
      expect(error.timeoutMs).to.equal(1500);
    });

    it('StopTimeoutError: ERR_STOP_TIMEOUT with service and stuck', async () => {
      const p = new Service({ name: 'P', stopTimeout: 100 });
      p.addDependency(probe([], 'A', { hooks: { onStop: hangs() } }));
      await p.start();
      const stopped = track(p.stop());
      await fake.clock.tickAsync(100);
      await flush();
      const error = stopped.error as StopTimeoutError;
      expectServiceError(error, 'StopTimeoutError', 'ERR_STOP_TIMEOUT', p);
      expect(error.stuck).to.deep.equal([{ path: 'P/A', phase: 'onStop', elapsedMs: 100 }]);
      expect(error.message).to.include('P/A');
    });

    it('ServiceCrashedError: ERR_CRASHED with service and the crash as cause', async () => {
      const svc = new Service({ name: 'S' });
      await svc.start();
      const waiting = track(svc.waitFor('stopped'));
      const crash = new Error('boom');
      svc.crash(crash);
      await flush();
      const error = waiting.error as ServiceCrashedError;
      expectServiceError(error, 'ServiceCrashedError', 'ERR_CRASHED', svc);
      expect(error.cause).to.equal(crash);
    });

    it('WaitTimeoutError: ERR_WAIT_TIMEOUT with service, state and timeoutMs', async () => {
      const svc = new Service({ name: 'S' });
      const waiting = track(svc.waitFor('running', { timeout: 2000 }));
      await fake.clock.tickAsync(2000);
      await flush();
      const error = waiting.error as WaitTimeoutError;
      expectServiceError(error, 'WaitTimeoutError', 'ERR_WAIT_TIMEOUT', svc);
      expect(error.state).to.equal('running');
      expect(error.timeoutMs).to.equal(2000);
    });

    it('InvalidRunError: ERR_INVALID_RUN with service and what run() returned', async () => {
      class Odd extends Service {
        protected override run(): any {
          return 42;
        }
      }
      const svc = new Odd({ name: 'S' });
      const { error } = (await outcome(svc.start())) as { error: InvalidRunError };
      expectServiceError(error, 'InvalidRunError', 'ERR_INVALID_RUN', svc);
      expect(error.received).to.equal(42);
      expect(svc.state).to.equal('crashed');
    });

    it('InvalidStateError: ERR_INVALID_STATE with service, state and operation', async () => {
      const gate = deferred();
      const svc = probe([], 'S', { hooks: { onStop: () => gate.promise } });
      await svc.start();
      const stopping = svc.stop();
      const { error } = (await outcome(svc.restart())) as { error: InvalidStateError };
      expectServiceError(error, 'InvalidStateError', 'ERR_INVALID_STATE', svc);
      expect(error.state).to.equal('stopping');
      expect(error.operation).to.be.a('string').with.length.greaterThan(0);
      gate.resolve();
      await stopping;
    });
  });

  describe('MaxRestartsExceededError', () => {
    it('has code ERR_MAX_RESTARTS with service, restarts and windowMs', () => {
      const ref = { id: '7', name: 'sup', path: 'root/sup' };
      const error = new MaxRestartsExceededError(ref, 4, 1000);
      expect(error).to.be.instanceOf(ServiceError);
      expect(isServiceError(error)).to.equal(true);
      expect(error.name).to.equal('MaxRestartsExceededError');
      expect(error.code).to.equal('ERR_MAX_RESTARTS');
      expect(error.service).to.deep.equal(ref);
      expect(error.restarts).to.equal(4);
      expect(error.windowMs).to.equal(1000);
    });
  });

  describe('ServiceErrorCode', () => {
    it('is the code of exactly one error class each', () => {
      const ref = { id: '1', name: 'a', path: 'a' };
      // a Record over the union: a code added to the type without a class here fails the typecheck
      const classOf: Record<ServiceErrorCode, string> = {
        ERR_STOP_FAILED: 'ServiceStopError',
        ERR_START_TIMEOUT: 'StartTimeoutError',
        ERR_STOP_TIMEOUT: 'StopTimeoutError',
        ERR_CRASHED: 'ServiceCrashedError',
        ERR_WAIT_TIMEOUT: 'WaitTimeoutError',
        ERR_MAX_RESTARTS: 'MaxRestartsExceededError',
        ERR_INVALID_RUN: 'InvalidRunError',
        ERR_INVALID_STATE: 'InvalidStateError',
        ERR_THREAD: 'ThreadServiceError',
      };
      const errors: ServiceError[] = [
        new ServiceStopError(ref, []),
        new StartTimeoutError(ref, 'onStart', 1),
        new StopTimeoutError(ref, []),
        new ServiceCrashedError(ref, new Error('x')),
        new WaitTimeoutError(ref, 'running', 1),
        new MaxRestartsExceededError(ref, 1, 1),
        new InvalidRunError(ref, 1),
        new InvalidStateError(ref, 'running', 'x'),
        new ThreadServiceError(ref, 'x'),
      ];
      expect(Object.fromEntries(errors.map((error) => [error.code, error.name]))).to.deep.equal(classOf);
    });
  });

  describe('isServiceError()', () => {
    it('is false for values rxmode did not raise', () => {
      const lookalike = Object.assign(new Error('x'), { code: 'ERR_STOP_FAILED', name: 'ServiceStopError' });
      for (const value of [
        new Error('x'),
        lookalike,
        { code: 'ERR_CRASHED' },
        'ERR_CRASHED',
        null,
        undefined,
        42,
      ]) {
        expect(isServiceError(value), typeof value).to.equal(false);
      }
    });

    it('recognizes errors from a second copy of the library, where instanceof fails', async () => {
      const other = await loadSecondCopy();
      expect(other.ServiceError).to.not.equal(ServiceError);
      const svc = new other.Service({ name: 'Foreign', stopTimeout: 10 });
      const foreign = new other.InvalidStateError(
        { id: svc.id, name: svc.name, path: svc.path },
        'running',
        'move to another parent',
      );
      expect(foreign).to.not.be.instanceOf(ServiceError);
      expect(isServiceError(foreign)).to.equal(true);
      expect(
        other.isServiceError(new InvalidStateError({ id: '1', name: 'a', path: 'a' }, 'running', 'x')),
      ).to.equal(true);
    });

    it('recognizes a stop failure raised by a service of the second copy', async () => {
      const other = await loadSecondCopy();
      const svc = new other.Service({ name: 'Foreign' });
      svc.addTeardown(() => {
        throw new Error('teardown');
      });
      await svc.start();
      const { error } = (await outcome(svc.stop())) as { error: { code: string } };
      expect(isServiceError(error)).to.equal(true);
      expect(error.code).to.equal('ERR_STOP_FAILED');
    });
  });
});
