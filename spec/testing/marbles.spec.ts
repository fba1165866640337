// Specs for lifecycleMarbles and STATE_MARKS (rxmode/testing): one mark per state entered,
// same-time transitions grouped, gaps in the largest exact unit, one service per diagram.
import { expect } from 'chai';
import { SERVICE_STATES, type LifecycleEvent, type ServiceState } from '../../lib/index.js';
import { STATE_MARKS, lifecycleMarbles } from '../../lib/testing/index.js';

/** A `state` event of `path` entering `to` at `at`. */
function enter(path: string, at: number, from: ServiceState, to: ServiceState): LifecycleEvent {
  return { type: 'state', service: { id: path, name: path, path }, at, from, to };
}

/** A start at `t0` that runs at `t1` and a stop from `t2` to `t3`, for `path`. */
function lifecycle(path: string, [t0, t1, t2, t3]: number[]): LifecycleEvent[] {
  return [
    enter(path, t0!, 'init', 'starting'),
    enter(path, t1!, 'starting', 'running'),
    enter(path, t2!, 'running', 'stopping'),
    enter(path, t3!, 'stopping', 'stopped'),
  ];
}

describe('lifecycleMarbles', () => {
  it('writes one mark per state entered, with the gaps between them', () => {
    expect(lifecycleMarbles(lifecycle('app', [0, 250, 1250, 1300]))).to.equal('s 250ms r 1s x 50ms |');
  });

  it('groups transitions at the same virtual time in parentheses', () => {
    expect(lifecycleMarbles(lifecycle('app', [0, 0, 500, 500]))).to.equal('(sr) 500ms (x|)');
  });

  it('writes each gap in the largest unit that divides it exactly', () => {
    const h = 3_600_000;
    expect(
      lifecycleMarbles(lifecycle('app', [0, 90_000, 90_000 + 2 * h, 90_000 + 2 * h + 120_000])),
    ).to.equal('s 90s r 2h x 2m |');
    expect(lifecycleMarbles(lifecycle('app', [0, 1500, 1500.5, 61_500.5]))).to.equal(
      's 1500ms r 0.5ms x 1m |',
    );
  });

  it('draws one service: the path asked for, else the first one seen', () => {
    const events = [...lifecycle('app', [0, 10, 20, 30]), ...lifecycle('app/db', [5, 6, 25, 26])].sort(
      (a, b) => a.at - b.at,
    );
    expect(lifecycleMarbles(events)).to.equal('s 10ms r 10ms x 10ms |');
    expect(lifecycleMarbles(events, { path: 'app/db' })).to.equal('s 1ms r 19ms x 1ms |');
    expect(lifecycleMarbles(events, { path: 'app/nothing' })).to.equal('');
    expect(lifecycleMarbles([])).to.equal('');
  });

  it('opens with a gap when the first transition comes after the origin', () => {
    const events = lifecycle('app', [1000, 1000, 2000, 2000]);
    expect(lifecycleMarbles(events, { origin: 400 })).to.equal('600ms (sr) 1s (x|)');
  });

  it('ignores events other than state transitions', () => {
    const events: LifecycleEvent[] = [
      { type: 'hook', service: { id: '1', name: 'app', path: 'app' }, at: 0, hook: 'onStart', durationMs: 0 },
      enter('app', 0, 'init', 'starting'),
      { type: 'crash', service: { id: '1', name: 'app', path: 'app' }, at: 7, error: new Error('x') },
      enter('app', 7, 'starting', 'crashed'),
    ];
    expect(lifecycleMarbles(events)).to.equal('s 7ms #');
  });

  it('rejects malformed arguments with a TypeError naming them', () => {
    expect(() => lifecycleMarbles('s r' as never)).to.throw(TypeError, /events must be an array/);
    expect(() => lifecycleMarbles([], { path: 1 as never })).to.throw(TypeError, /path must be a string/);
    expect(() => lifecycleMarbles([], { origin: Infinity })).to.throw(TypeError, /origin must be a finite/);
  });
});

describe('STATE_MARKS', () => {
  it('gives every state its own one-character mark', () => {
    const marks = SERVICE_STATES.map((state) => STATE_MARKS[state]);
    expect(marks).to.deep.equal(['i', 's', 'r', 'x', '|', '#']);
    expect(Object.isFrozen(STATE_MARKS)).to.equal(true);
  });
});
