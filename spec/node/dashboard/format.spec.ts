/**
 * The words of the dashboard's event log, from events as they arrive over /events (errors as data).
 */
import { expect } from 'chai';
import type { LifecycleEvent } from '../../../lib/index.js';
import { describeEvent, errorMessage, errorText } from '../../../lib/node/dashboard/client/format.js';

const service = { id: '3', name: 'Db', path: 'Worker/Db' };
const boom = { name: 'TypeError', message: 'boom', stack: 'TypeError: boom\n    at x' };

describe('describeEvent()', () => {
  const cases: [LifecycleEvent, string, string][] = [
    [
      {
        type: 'state',
        service,
        at: 0,
        from: 'running',
        to: 'crashed',
        reason: { type: 'crash', error: boom },
      },
      'error',
      'running → crashed (crash: TypeError: boom)',
    ],
    [
      {
        type: 'state',
        service,
        at: 0,
        from: 'running',
        to: 'stopping',
        reason: { type: 'signal', signal: 'SIGTERM' },
      },
      'info',
      'running → stopping (SIGTERM)',
    ],
    [{ type: 'state', service, at: 0, from: 'init', to: 'starting' }, 'info', 'init → starting'],
    [{ type: 'hook', service, at: 0, hook: 'onStart', durationMs: 12 }, 'info', 'onStart 12 ms'],
    [
      { type: 'hook', service, at: 0, hook: 'onStop', durationMs: 3, error: 'disk full' },
      'error',
      'onStop 3 ms failed: disk full',
    ],
    [{ type: 'crash', service, at: 0, error: boom }, 'error', 'crashed: TypeError: boom'],
    [
      {
        type: 'child',
        service,
        at: 0,
        child: { id: '4', name: 'Pool', path: 'Worker/Db/Pool' },
        op: 'added',
      },
      'info',
      'child added: Worker/Db/Pool',
    ],
    [
      {
        type: 'supervisor',
        service,
        at: 0,
        child: { id: '4', name: 'Pool', path: 'Worker/Db/Pool' },
        decision: 'restart',
        attempt: 2,
        delayMs: 1500,
      },
      'warn',
      'restart Worker/Db/Pool (attempt 2 in 1.50 seconds)',
    ],
    [
      {
        type: 'stop-timeout',
        service,
        at: 0,
        stuck: [{ path: 'Worker/Db', phase: 'onStop', elapsedMs: 30000 }],
      },
      'error',
      'stop timed out; stuck: Worker/Db onStop (30.00 seconds)',
    ],
    [{ type: 'timer-drift', service, at: 0, timer: 'tick', driftMs: 40 }, 'warn', 'timer-drift tick: 40 ms'],
    [
      { type: 'blocked', service, at: 0, lagMs: 250, running: ['Worker/Db:onStart'] },
      'warn',
      'event loop blocked 250 ms while running Worker/Db:onStart',
    ],
    [
      { type: 'leader', service, at: 0, leader: true, lease: 'jobs', token: '7' },
      'info',
      'leading jobs (token 7)',
    ],
    [
      { type: 'leader', service, at: 0, leader: false, lease: 'jobs', reason: boom },
      'warn',
      'not leading jobs: TypeError: boom',
    ],
    [{ type: 'leader', service, at: 0, leader: false, lease: 'jobs' }, 'info', 'gave up jobs'],
    [
      {
        type: 'state',
        service,
        at: 0,
        from: 'running',
        to: 'stopping',
        reason: { type: 'lease-lost', lease: 'jobs', reason: boom },
      },
      'info',
      'running → stopping (lease jobs lost)',
    ],
  ];
  for (const [event, level, text] of cases) {
    it(`reads ${event.type} as “${text}”`, () => {
      expect(describeEvent(event)).to.deep.equal({ level, path: 'Worker/Db', text });
    });
  }
});

describe('errorText() and errorMessage()', () => {
  it('read errors received as data, real errors and thrown values', () => {
    expect(errorText(boom)).to.equal('TypeError: boom');
    expect(errorText(new RangeError('r'))).to.equal('RangeError: r');
    expect(errorText('plain')).to.equal('plain');
    expect(errorText({ code: 7 })).to.equal('{"code":7}');
    expect(errorMessage(boom)).to.equal('boom');
    expect(errorMessage(42)).to.equal('42');
  });
});
