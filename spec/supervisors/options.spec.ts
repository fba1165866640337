// Specs for the options of supervisors (API.md section 6): defaults, and eager validation with a
// TypeError that names the option and the value received.
import { expect } from 'chai';
import { Service } from '../../lib/index.js';
import {
  CrashingSupervisor,
  ForfeitOneForAllSupervisor,
  ForfeitOneForOneSupervisor,
  OneForAllSupervisor,
  OneForOneSupervisor,
  RestForOneSupervisor,
  Supervisor,
  type SupervisorOptions,
} from '../../lib/supervisors/index.js';

const CLASSES = [
  OneForOneSupervisor,
  OneForAllSupervisor,
  RestForOneSupervisor,
  ForfeitOneForOneSupervisor,
  ForfeitOneForAllSupervisor,
  CrashingSupervisor,
];

describe('Supervisor options', () => {
  it('builds every supervisor without options, as a Service named after its class', () => {
    for (const Class of CLASSES) {
      const sup = new Class();
      expect(sup).to.be.instanceOf(Supervisor);
      expect(sup).to.be.instanceOf(Service);
      expect(sup.name).to.equal(Class.name);
      expect(sup.state).to.equal('init');
    }
  });

  it('passes the Service options on', () => {
    const sup = new OneForOneSupervisor({ name: 'tree', stopTimeout: '5s' });
    expect(sup.name).to.equal('tree');
    expect(() => new OneForOneSupervisor({ name: 'a/b' })).to.throw(TypeError, /name/);
  });

  const invalid: [string, SupervisorOptions, RegExp][] = [
    ['maxRestarts below 0', { maxRestarts: -1 }, /maxRestarts must be .*; received -1/],
    ['maxRestarts not an integer', { maxRestarts: 1.5 }, /maxRestarts .*received 1\.5/],
    ['maxRestarts a string', { maxRestarts: '3' as unknown as number }, /maxRestarts .*received "3"/],
    ['over not a duration', { over: '1 minute' as unknown as '1m' }, /over must be .*received "1 minute"/],
    ['over zero', { over: 0 }, /over must be a positive duration; received 0/],
    [
      'restart unknown',
      { restart: 'always' as unknown as 'permanent' },
      /restart must be .*received "always"/,
    ],
    [
      'replacement not a function',
      { replacement: {} as unknown as () => Service },
      /replacement must be a function; received \{\}/,
    ],
    [
      'backoff not an object',
      { backoff: 100 as unknown as { initial: 1; max: 1 } },
      /backoff must be an object.*received 100/,
    ],
    [
      'backoff without initial',
      { backoff: { max: 100 } as unknown as { initial: 1; max: 1 } },
      /backoff\.initial is required/,
    ],
    [
      'backoff without max',
      { backoff: { initial: 100 } as unknown as { initial: 1; max: 1 } },
      /backoff\.max is required/,
    ],
    [
      'backoff.initial invalid',
      { backoff: { initial: -5, max: 100 } },
      /backoff\.initial must be .*received -5/,
    ],
    [
      'backoff.max below initial',
      { backoff: { initial: '2s', max: '1s' } },
      /backoff\.max must not be less than backoff\.initial \(2000 ms\); received "1s"/,
    ],
    [
      'backoff.factor below 1',
      { backoff: { initial: 1, max: 2, factor: 0.5 } },
      /backoff\.factor .*received 0\.5/,
    ],
    [
      'backoff.factor infinite',
      { backoff: { initial: 1, max: 2, factor: Infinity } },
      /backoff\.factor .*received Infinity/,
    ],
    [
      'backoff.jitter above 1',
      { backoff: { initial: 1, max: 2, jitter: 2 } },
      /backoff\.jitter must be a number from 0 to 1; received 2/,
    ],
    [
      'backoff.jitter NaN',
      { backoff: { initial: 1, max: 2, jitter: NaN } },
      /backoff\.jitter .*received NaN/,
    ],
    [
      'backoff.resetAfter invalid',
      { backoff: { initial: 1, max: 2, resetAfter: 'soon' as unknown as '1s' } },
      /backoff\.resetAfter .*received "soon"/,
    ],
  ];
  for (const [what, options, message] of invalid) {
    it(`refuses ${what} with a TypeError naming it`, () => {
      for (const Class of CLASSES) expect(() => new Class(options), Class.name).to.throw(TypeError, message);
    });
  }

  it('refuses options that are not an object', () => {
    expect(() => new OneForOneSupervisor('fast' as unknown as SupervisorOptions)).to.throw(
      TypeError,
      /options must be an object; received "fast"/,
    );
  });

  it('accepts maxRestarts: Infinity and every valid backoff', () => {
    expect(() => new OneForOneSupervisor({ maxRestarts: Infinity })).not.to.throw();
    expect(
      () =>
        new OneForOneSupervisor({
          backoff: { initial: '0ms', max: '1m', factor: 1, jitter: 1, resetAfter: '1h' },
          restart: 'transient',
          replacement: () => new Service(),
        }),
    ).not.to.throw();
  });
});
