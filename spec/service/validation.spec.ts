// Specs for option and argument validation of the lifecycle API (API.md "Units" and section 3):
// a TypeError naming the option and the value received, raised eagerly, changing nothing.
import { expect } from 'chai';
import { Service, type ServiceOptions } from '../../lib/index.js';

/** Builds a service from options that may be invalid. */
const make = (options: unknown) => () => new Service(options as ServiceOptions);

describe('Service', () => {
  describe('constructor validation', () => {
    for (const option of ['startTimeout', 'stopTimeout'] as const) {
      describe(option, () => {
        const bad: [unknown, RegExp][] = [
          [-1, /-1/],
          [NaN, /NaN/],
          [Infinity, /Infinity/],
          ['5 sec', /5 sec/],
          ['', /""/],
          ['-2s', /-2s/],
          ['1x', /1x/],
          [null, /null/],
          [{}, /\{\}/],
        ];
        for (const [value, shown] of bad) {
          it(`rejects ${String(value)} with a TypeError naming ${option} and the value`, () => {
            expect(make({ [option]: value })).to.throw(TypeError, new RegExp(option));
            expect(make({ [option]: value })).to.throw(TypeError, shown);
          });
        }

        for (const value of [0, 1, 250, '250ms', '1.5s', '2m', '1h', '1d']) {
          it(`accepts ${JSON.stringify(value)}`, () => {
            expect(make({ [option]: value })).to.not.throw();
          });
        }
      });
    }

    for (const option of ['startConcurrency', 'stopConcurrency'] as const) {
      it(`rejects a ${option} other than 'sequential' or 'parallel', naming it and the value`, () => {
        expect(make({ [option]: 'fast' })).to.throw(TypeError, new RegExp(`${option}.*fast`));
        expect(make({ [option]: true })).to.throw(TypeError, new RegExp(`${option}.*true`));
        expect(make({ [option]: 'sequential' })).to.not.throw();
        expect(make({ [option]: 'parallel' })).to.not.throw();
      });
    }

    it('rejects a name that is empty, not a string, or contains a slash', () => {
      expect(make({ name: '' })).to.throw(TypeError, /name.*""/);
      expect(make({ name: 42 })).to.throw(TypeError, /name.*42/);
      expect(make({ name: 'a/b' })).to.throw(TypeError, /name.*a\/b/);
    });

    it('rejects a scheduler that is not an rxjs SchedulerLike', () => {
      expect(make({ scheduler: {} })).to.throw(TypeError, /scheduler/);
      expect(make({ scheduler: 'async' })).to.throw(TypeError, /scheduler.*async/);
    });

    it('rejects a logger without the logging methods', () => {
      expect(make({ logger: {} })).to.throw(TypeError, /logger/);
    });

    it('rejects options that are not an object', () => {
      expect(make('fast')).to.throw(TypeError, /fast/);
      expect(make(42)).to.throw(TypeError, /42/);
    });

    it('uses the class name when no name is given', () => {
      class Billing extends Service {}
      expect(new Billing().name).to.equal('Billing');
      expect(new Billing({ name: 'billing-eu' }).name).to.equal('billing-eu');
    });

    it('gives every instance its own id', () => {
      const ids = new Set(Array.from({ length: 5 }, () => new Service({ name: 'same' }).id));
      expect(ids.size).to.equal(5);
    });
  });

  describe('argument validation', () => {
    it('start() rejects a bad timeout or signal at the call, changing nothing', () => {
      const svc = new Service({ name: 'S' });
      expect(() => svc.start({ timeout: '5 sec' as '5s' })).to.throw(TypeError, /timeout.*5 sec/);
      expect(() => svc.start({ timeout: -1 })).to.throw(TypeError, /timeout.*-1/);
      expect(() => svc.start({ signal: 'abort' as unknown as AbortSignal })).to.throw(TypeError, /signal/);
      expect(svc.state).to.equal('init');
    });

    it('stop() rejects a reason that is not a StopReason at the call', async () => {
      const svc = new Service({ name: 'S' });
      await svc.start();
      expect(() => svc.stop('now' as never)).to.throw(TypeError, /reason.*now/);
      expect(svc.state).to.equal('running');
      await svc.stop();
    });

    it('waitFor() rejects an unknown state and a bad timeout at the call', () => {
      const svc = new Service({ name: 'S' });
      expect(() => svc.waitFor('done' as 'stopped')).to.throw(TypeError, /done/);
      expect(() => svc.waitFor('running', { timeout: NaN })).to.throw(TypeError, /timeout.*NaN/);
    });

    it('removeDependency() rejects something that is not a Service', async () => {
      const svc = new Service({ name: 'S' });
      let error: unknown;
      try {
        await svc.removeDependency({} as Service);
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(TypeError);
    });
  });
});
