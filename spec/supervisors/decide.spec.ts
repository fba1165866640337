// Table-driven specs for the supervision policy as data (API.md section 6): decide() answers a
// failure from the strategy, the restart type, the intensity window, the backoff state and the
// time, without services; restartCompanions() says which other children a restart takes along.
import { expect } from 'chai';
import {
  decide,
  restartCompanions,
  type Decision,
  type Failure,
  type Policy,
  type Situation,
  type Strategy,
} from '../../lib/supervisors/decide.js';
import type { RestartType } from '../../lib/supervisors/options.js';

const NOW = 10_000;
const crash: Failure = { kind: 'crash', duringStart: false };
const startFailure: Failure = { kind: 'crash', duringStart: true };
const stop = (reason: 'manual' | 'signal' | 'timeout' | 'parent' | 'supervisor' | 'restart'): Failure => ({
  kind: 'stop',
  reason,
});

const STRATEGIES = {
  OneForOne: { decision: 'restart', scope: 'one' },
  OneForAll: { decision: 'restart', scope: 'all' },
  RestForOne: { decision: 'restart', scope: 'rest' },
  ForfeitOneForOne: { decision: 'forfeit', scope: 'one' },
  ForfeitOneForAll: { decision: 'forfeit', scope: 'all' },
  Crashing: { decision: 'escalate', scope: 'one' },
} as const satisfies Record<string, Strategy>;
type StrategyName = keyof typeof STRATEGIES;
const BACKOFF = { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0, resetAfterMs: 1000 };

function policy(overrides: Partial<Policy> = {}): Policy {
  const p: Policy = {
    ...STRATEGIES.OneForOne,
    restart: 'permanent',
    maxRestarts: 3,
    overMs: 1000,
    backoff: undefined,
    resetAfterMs: 1000,
    ...overrides,
  };
  return Object.freeze(p);
}

function situation(overrides: Partial<Situation> = {}): Situation {
  const s: Situation = {
    now: NOW,
    restarts: [],
    failures: [],
    attempt: 0,
    runningSince: undefined,
    pending: undefined,
    ...overrides,
  };
  Object.freeze(s.restarts);
  Object.freeze(s.failures);
  return Object.freeze(s);
}

/** `ignore` | `restart <scope> #<attempt> +<delayMs> [joins]` | `forfeit #n [stopOthers]` | `escalate #n [exceeded r/w]`. */
function summary(d: Decision): string {
  switch (d.decision) {
    case 'ignore':
      return 'ignore';
    case 'restart':
      return `restart ${d.scope} #${d.attempt} +${d.delayMs}${d.joins ? ' joins' : ''}`;
    case 'forfeit':
      return `forfeit #${d.attempt}${d.stopOthers ? ' stopOthers' : ''}`;
    case 'escalate':
      return `escalate #${d.attempt}${d.exceeded ? ` exceeded ${d.exceeded.restarts}/${d.exceeded.windowMs}` : ''}`;
  }
}

describe('decide()', () => {
  describe('strategy × restart type × what happened (no history)', () => {
    // [strategy, restart type, failure, expected]
    const rows: [StrategyName, RestartType, string, string][] = [
      ['OneForOne', 'permanent', 'crash', 'restart one #1 +0'],
      ['OneForOne', 'transient', 'crash', 'restart one #1 +0'],
      ['OneForOne', 'temporary', 'crash', 'forfeit #1'],
      ['OneForOne', 'permanent', 'manual', 'restart one #1 +0'],
      ['OneForOne', 'transient', 'manual', 'ignore'],
      ['OneForOne', 'temporary', 'manual', 'ignore'],
      ['OneForAll', 'permanent', 'crash', 'restart all #1 +0'],
      ['OneForAll', 'transient', 'crash', 'restart all #1 +0'],
      ['OneForAll', 'temporary', 'crash', 'forfeit #1'],
      ['OneForAll', 'permanent', 'manual', 'restart all #1 +0'],
      ['OneForAll', 'transient', 'manual', 'ignore'],
      ['OneForAll', 'temporary', 'manual', 'ignore'],
      ['RestForOne', 'permanent', 'crash', 'restart rest #1 +0'],
      ['RestForOne', 'transient', 'crash', 'restart rest #1 +0'],
      ['RestForOne', 'temporary', 'crash', 'forfeit #1'],
      ['RestForOne', 'permanent', 'manual', 'restart rest #1 +0'],
      ['RestForOne', 'transient', 'manual', 'ignore'],
      ['RestForOne', 'temporary', 'manual', 'ignore'],
      ['ForfeitOneForOne', 'permanent', 'crash', 'forfeit #1'],
      ['ForfeitOneForOne', 'transient', 'crash', 'forfeit #1'],
      ['ForfeitOneForOne', 'temporary', 'crash', 'forfeit #1'],
      ['ForfeitOneForOne', 'permanent', 'manual', 'ignore'],
      ['ForfeitOneForOne', 'transient', 'manual', 'ignore'],
      ['ForfeitOneForOne', 'temporary', 'manual', 'ignore'],
      ['ForfeitOneForAll', 'permanent', 'crash', 'forfeit #1 stopOthers'],
      ['ForfeitOneForAll', 'transient', 'crash', 'forfeit #1 stopOthers'],
      ['ForfeitOneForAll', 'temporary', 'crash', 'forfeit #1'],
      ['ForfeitOneForAll', 'permanent', 'manual', 'ignore'],
      ['ForfeitOneForAll', 'transient', 'manual', 'ignore'],
      ['ForfeitOneForAll', 'temporary', 'manual', 'ignore'],
      ['Crashing', 'permanent', 'crash', 'escalate #1'],
      ['Crashing', 'transient', 'crash', 'escalate #1'],
      ['Crashing', 'temporary', 'crash', 'escalate #1'],
      ['Crashing', 'permanent', 'manual', 'ignore'],
      ['Crashing', 'transient', 'manual', 'ignore'],
      ['Crashing', 'temporary', 'manual', 'ignore'],
    ];
    for (const [strategy, restart, what, expected] of rows) {
      it(`${strategy}, ${restart}, ${what === 'crash' ? 'a crash' : `a ${what} stop`} → ${expected}`, () => {
        const failure = what === 'crash' ? crash : stop('manual');
        const p = policy({ ...STRATEGIES[strategy], restart });
        expect(summary(decide(p, failure, situation(), 0.5))).to.equal(expected);
      });
    }
  });

  describe('stop reasons', () => {
    for (const reason of ['parent', 'supervisor', 'restart'] as const) {
      it(`ignores a stop with reason ${reason} under every strategy and restart type`, () => {
        for (const strategy of Object.values<Strategy>(STRATEGIES)) {
          for (const restart of ['permanent', 'transient', 'temporary'] as const) {
            const d = decide(policy({ ...strategy, restart }), stop(reason), situation(), 0.5);
            expect(d, `${strategy.decision}/${strategy.scope}/${restart}`).to.deep.equal({
              decision: 'ignore',
            });
          }
        }
      });
    }
    for (const reason of ['manual', 'signal', 'timeout'] as const) {
      it(`restarts a permanent child after a stop with reason ${reason}`, () => {
        expect(summary(decide(policy(), stop(reason), situation(), 0.5))).to.equal('restart one #1 +0');
      });
    }
    it('ignores a requested stop even when a restart is pending', () => {
      const pending = { attempt: 2, delayMs: 200 };
      expect(summary(decide(policy(), stop('supervisor'), situation({ pending }), 0.5))).to.equal('ignore');
    });
  });

  describe('a failed start during the supervisor’s own start', () => {
    const rows: [StrategyName, RestartType, string][] = [
      ['OneForOne', 'permanent', 'escalate #1'],
      ['OneForAll', 'transient', 'escalate #1'],
      ['RestForOne', 'temporary', 'escalate #1'],
      ['ForfeitOneForOne', 'permanent', 'escalate #1'],
      ['ForfeitOneForAll', 'permanent', 'escalate #1'],
      ['Crashing', 'permanent', 'escalate #1'],
    ];
    for (const [strategy, restart, expected] of rows) {
      it(`${strategy}, ${restart} → ${expected} (the child's error goes up)`, () => {
        const p = policy({ ...STRATEGIES[strategy], restart });
        const d = decide(p, startFailure, situation(), 0.5);
        expect(summary(d)).to.equal(expected);
        expect(d).to.deep.equal({ decision: 'escalate', attempt: 1, delayMs: 0, exceeded: undefined });
      });
    }
  });

  describe('intensity: maxRestarts within the half-open window (now - over, now]', () => {
    // [name, policy, failure, situation, expected]
    const rows: [string, Partial<Policy>, Failure, Partial<Situation>, string][] = [
      ['under the limit', {}, crash, { restarts: [NOW - 500, NOW - 400] }, 'restart one #1 +0'],
      [
        'at the limit: escalates with MaxRestartsExceeded data',
        {},
        crash,
        { restarts: [NOW - 500, NOW - 400, NOW - 300] },
        'escalate #1 exceeded 3/1000',
      ],
      [
        'a restart exactly over ago no longer counts',
        {},
        crash,
        { restarts: [NOW - 1000, NOW - 400, NOW - 300] },
        'restart one #1 +0',
      ],
      [
        'a restart just under over ago still counts',
        {},
        crash,
        { restarts: [NOW - 999, NOW - 400, NOW - 300] },
        'escalate #1 exceeded 3/1000',
      ],
      [
        'restarts long gone do not count',
        {},
        crash,
        { restarts: [NOW - 5000, NOW - 4000, NOW - 3000, NOW - 10] },
        'restart one #1 +0',
      ],
      [
        'maxRestarts 0: the first crash escalates',
        { maxRestarts: 0 },
        crash,
        {},
        'escalate #1 exceeded 0/1000',
      ],
      [
        'maxRestarts Infinity never escalates',
        { maxRestarts: Infinity },
        crash,
        { restarts: Array.from({ length: 500 }, (_, i) => NOW - 500 + i) },
        'restart one #1 +0',
      ],
      [
        'a permanent child stopping on its own counts too',
        {},
        stop('manual'),
        { restarts: [NOW - 3, NOW - 2, NOW - 1] },
        'escalate #1 exceeded 3/1000',
      ],
      [
        'a group strategy at the limit',
        STRATEGIES.OneForAll,
        crash,
        { restarts: [NOW - 3, NOW - 2, NOW - 1] },
        'escalate #1 exceeded 3/1000',
      ],
      [
        'the escalate attempt counts the failures in the window, this one included',
        {},
        crash,
        { restarts: [NOW - 3, NOW - 2, NOW - 1], failures: [NOW - 1000, NOW - 3, NOW - 2, NOW - 1] },
        'escalate #4 exceeded 3/1000',
      ],
      [
        'another window length',
        { overMs: 60_000, maxRestarts: 1 },
        crash,
        { restarts: [NOW - 59_999] },
        'escalate #1 exceeded 1/60000',
      ],
      [
        'a failure joining a pending restart counts no new restart, even at the limit',
        STRATEGIES.OneForAll,
        crash,
        { restarts: [NOW - 3, NOW - 2, NOW - 1], pending: { attempt: 2, delayMs: 200 } },
        'restart all #2 +200 joins',
      ],
      [
        'a permanent stop joins a pending restart as well',
        STRATEGIES.RestForOne,
        stop('manual'),
        { pending: { attempt: 1, delayMs: 0 } },
        'restart rest #1 +0 joins',
      ],
      [
        'temporary children forfeit even with a restart pending',
        { restart: 'temporary' },
        crash,
        { pending: { attempt: 1, delayMs: 0 } },
        'forfeit #1',
      ],
    ];
    for (const [name, p, failure, s, expected] of rows) {
      it(`${name} → ${expected}`, () => {
        expect(summary(decide(policy(p), failure, situation(s), 0.5))).to.equal(expected);
      });
    }
  });

  describe('forfeit and escalate attempts: the failures within the window, this one included', () => {
    const rows: [string, Partial<Policy>, number[], string][] = [
      ['ForfeitOneForOne', STRATEGIES.ForfeitOneForOne, [NOW - 2000, NOW - 999, NOW - 1], 'forfeit #3'],
      ['ForfeitOneForAll', STRATEGIES.ForfeitOneForAll, [NOW - 1000, NOW - 1], 'forfeit #2 stopOthers'],
      ['temporary children', { restart: 'temporary' }, [NOW - 10, NOW - 5], 'forfeit #3'],
      ['Crashing', STRATEGIES.Crashing, [NOW - 1000], 'escalate #1'],
      ['Crashing', STRATEGIES.Crashing, [NOW - 999, NOW], 'escalate #3'],
      ['a short window', { ...STRATEGIES.ForfeitOneForOne, overMs: 10 }, [NOW - 10, NOW - 9], 'forfeit #2'],
    ];
    for (const [name, p, failures, expected] of rows) {
      it(`${name}, failures ${failures.map((t) => t - NOW).join(', ')} ms ago → ${expected}`, () => {
        const d = decide(policy(p), crash, situation({ failures }), 0.5);
        expect(summary(d)).to.equal(expected);
        expect(d.decision !== 'ignore' && d.delayMs).to.equal(0);
      });
    }
  });

  describe('backoff: min(max, initial × factor^(n-1)) ± jitter × delay', () => {
    // [name, backoff overrides, attempt so far, random, expected]
    const rows: [string, Partial<typeof BACKOFF>, number, number, string][] = [
      ['attempt 1 waits initial', {}, 0, 0.5, 'restart one #1 +100'],
      ['attempt 2 doubles', {}, 1, 0.5, 'restart one #2 +200'],
      ['attempt 4', {}, 3, 0.5, 'restart one #4 +800'],
      ['attempt 5 is capped at max', {}, 4, 0.5, 'restart one #5 +1000'],
      ['attempt 10 stays at max', {}, 9, 0.5, 'restart one #10 +1000'],
      ['factor 3', { factor: 3, maxMs: 10_000 }, 2, 0.5, 'restart one #3 +900'],
      ['factor 1 keeps the delay constant', { factor: 1 }, 6, 0.5, 'restart one #7 +100'],
      ['rounded to whole ms', { initialMs: 10, factor: 1.5 }, 2, 0.5, 'restart one #3 +23'],
      ['jitter 0.5, draw 0: −50 %', { jitter: 0.5 }, 0, 0, 'restart one #1 +50'],
      ['jitter 0.5, draw 0.5: unmoved', { jitter: 0.5 }, 0, 0.5, 'restart one #1 +100'],
      ['jitter 0.5, draw 0.999: about +50 %', { jitter: 0.5 }, 0, 0.999, 'restart one #1 +150'],
      ['jitter applies after the cap', { jitter: 0.5 }, 4, 0.75, 'restart one #5 +1250'],
      ['jitter 1, draw 0: never below 0', { jitter: 1 }, 0, 0, 'restart one #1 +0'],
      ['jitter 0 ignores the draw', {}, 0, 0, 'restart one #1 +100'],
    ];
    for (const [name, b, attempt, random, expected] of rows) {
      it(`${name} → ${expected}`, () => {
        const p = policy({ backoff: { ...BACKOFF, ...b } });
        expect(summary(decide(p, crash, situation({ attempt }), random))).to.equal(expected);
      });
    }

    it('draws from a random source only when there is jitter', () => {
      let draws = 0;
      const random = (): number => (draws++, 0.25);
      const plain = decide(policy({ backoff: BACKOFF }), crash, situation(), random);
      expect(draws).to.equal(0);
      expect(summary(plain)).to.equal('restart one #1 +100');
      const jittered = decide(policy({ backoff: { ...BACKOFF, jitter: 0.2 } }), crash, situation(), random);
      expect(draws).to.equal(1);
      expect(summary(jittered)).to.equal('restart one #1 +90');
    });

    it('does not draw for a decision other than a new restart', () => {
      let draws = 0;
      const random = (): number => (draws++, 0.25);
      const p = policy({ backoff: { ...BACKOFF, jitter: 0.2 } });
      decide(p, crash, situation({ pending: { attempt: 1, delayMs: 100 } }), random);
      decide(p, crash, situation({ restarts: [NOW - 3, NOW - 2, NOW - 1] }), random);
      decide({ ...p, restart: 'temporary' }, crash, situation(), random);
      expect(draws).to.equal(0);
    });

    it('gives every decision other than restart a delay of 0', () => {
      const p = policy({ backoff: BACKOFF });
      for (const [q, s] of [
        [{ ...p, restart: 'temporary' }, situation({ attempt: 3 })],
        [{ ...p, ...STRATEGIES.Crashing }, situation({ attempt: 3 })],
        [p, situation({ attempt: 3, restarts: [NOW - 3, NOW - 2, NOW - 1] })],
      ] as const) {
        expect(decide(q, crash, s, 0.5)).to.include({ delayMs: 0 });
      }
    });
  });

  describe('resetAfter: the attempt count starts again after running that long', () => {
    // [name, resetAfterMs, attempt so far, runningSince, expected]
    const rows: [string, number, number, number | undefined, string][] = [
      ['ran exactly resetAfter', 1000, 4, NOW - 1000, 'restart one #1 +100'],
      ['ran longer', 1000, 4, NOW - 60_000, 'restart one #1 +100'],
      ['ran just under resetAfter', 1000, 4, NOW - 999, 'restart one #5 +1000'],
      ['never ran since the last restart', 1000, 4, undefined, 'restart one #5 +1000'],
      ['a long resetAfter', 3_600_000, 2, NOW - 60_000, 'restart one #3 +400'],
    ];
    for (const [name, resetAfterMs, attempt, runningSince, expected] of rows) {
      it(`${name} → ${expected}`, () => {
        const p = policy({ backoff: { ...BACKOFF, resetAfterMs }, resetAfterMs });
        expect(summary(decide(p, crash, situation({ attempt, runningSince }), 0.5))).to.equal(expected);
      });
    }

    it('counts attempts without backoff too (reset after over), with no delay', () => {
      expect(summary(decide(policy(), crash, situation({ attempt: 2 }), 0.5))).to.equal('restart one #3 +0');
      const reset = situation({ attempt: 2, runningSince: NOW - 1000 });
      expect(summary(decide(policy(), crash, reset, 0.5))).to.equal('restart one #1 +0');
    });
  });

  it('returns the full record of a restart', () => {
    const p = policy({ ...STRATEGIES.RestForOne, backoff: BACKOFF });
    expect(decide(p, crash, situation({ attempt: 1 }), 0.5)).to.deep.equal({
      decision: 'restart',
      scope: 'rest',
      attempt: 2,
      delayMs: 200,
      joins: false,
    });
  });

  it('reads its inputs without changing them', () => {
    const s = situation({ restarts: [NOW - 2000, NOW - 1], failures: [NOW - 2000, NOW - 1], attempt: 1 });
    decide(policy({ backoff: BACKOFF }), crash, s, 0.5);
    expect(s.restarts).to.deep.equal([NOW - 2000, NOW - 1]);
    expect(s.failures).to.deep.equal([NOW - 2000, NOW - 1]);
    expect(s.attempt).to.equal(1);
  });
});

describe('restartCompanions()', () => {
  const children = ['a', 'b', 'c', 'd'] as const;
  // [scope, failed, expected]
  const rows: [Strategy['scope'], string[], string[]][] = [
    ['one', ['b'], []],
    ['all', ['b'], ['a', 'c', 'd']],
    ['all', ['a', 'b', 'c', 'd'], []],
    ['rest', ['b'], ['c', 'd']],
    ['rest', ['d'], []],
    ['rest', ['c', 'a'], ['b', 'd']],
    ['rest', ['x'], []],
  ];
  for (const [scope, failed, expected] of rows) {
    it(`${scope}, failed ${failed.join(' ')} → [${expected.join(' ')}]`, () => {
      expect(restartCompanions<string>(scope, children, new Set(failed))).to.deep.equal(expected);
    });
  }
});
