// Regression: `new Service({ startConcurency: 'parallel' })` was accepted and the option silently
// lost; and addDependency() on a running parent left the child idle without a word.
import { expect } from 'chai';
import { OneForOneSupervisor, Service, type Logger, type ServiceOptions } from '../../lib/index.js';

describe('regression: misspelled options are refused', () => {
  it('refuses an unknown option of a Service with a TypeError naming it and the intended one', () => {
    expect(() => new Service({ startConcurency: 'parallel' } as never)).to.throw(
      TypeError,
      /unknown option startConcurency \(received "parallel"\); did you mean startConcurrency\?/,
    );
    expect(() => new Service({ colour: 'red' } as never)).to.throw(TypeError, /unknown option colour/);
  });

  it('refuses a misspelled option passed through a subclass, and lets its own options through', () => {
    class Pool extends Service {
      constructor(options: ServiceOptions & { size: number }) {
        super(options);
      }
    }
    expect(() => new Pool({ size: 3, stopTimeout: '1s' })).not.to.throw();
    expect(() => new Pool({ size: 3, stopTimout: '1s' } as never)).to.throw(
      TypeError,
      /did you mean stopTimeout\?/,
    );
  });

  it('refuses a misspelled supervisor option', () => {
    expect(() => new OneForOneSupervisor({ maxRestart: 3 } as never)).to.throw(
      TypeError,
      /did you mean maxRestarts\?/,
    );
  });
});

describe('regression: addDependency() on a running parent says what to use instead', () => {
  it('logs a warning that points at addRuntimeDependency()', async () => {
    const warnings: unknown[] = [];
    const logger: Logger = { debug() {}, info() {}, error() {}, warn: (_fields, msg) => warnings.push(msg) };
    const root = new Service({ logger });
    await root.start();
    const child = root.addDependency(new Service({ name: 'late' }));
    expect(child.state).to.equal('init');
    expect(warnings).to.have.length(1);
    expect(String(warnings[0])).to.match(/addRuntimeDependency/);
    await root.addRuntimeDependency(new Service({ name: 'fine' }));
    expect(warnings).to.have.length(1);
    await root.stop();
  });
});
