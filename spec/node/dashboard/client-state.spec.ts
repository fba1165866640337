/**
 * The dashboard page's model without a browser: snapshots and lifecycle events as they arrive over
 * `/events` (errors as data) give new models, the selection survives refreshes, the clock of the
 * page follows the server's, and LeaderServices show whether they lead and what they hold.
 */
import { expect } from 'chai';
import type { LifecycleEvent, ServiceSnapshot, ServiceState } from '../../../lib/index.js';
import type { DashboardBoot } from '../../../lib/node/dashboard/page.js';
import {
  initialModel,
  lastCrash,
  leaseRoles,
  leaseText,
  logLineOf,
  prerequisiteNames,
  serverNow,
  treeShape,
  withEvent,
  withSelection,
  withSnapshot,
  type DashboardModel,
} from '../../../lib/node/dashboard/client/state.js';

const BOOT: DashboardBoot = { title: 'Worker', control: false, now: 10_000, crashes: {} };

function node(id: string, state: ServiceState, ...children: ServiceSnapshot[]): ServiceSnapshot {
  return { id, name: id, path: id, state, since: 0, restartCount: 0, flags: [], children };
}

/** Worker(1) → Db(2), Api(3) → Cache(4), all running since 0. */
function tree(): ServiceSnapshot {
  return node('1', 'running', node('2', 'running'), node('3', 'running', node('4', 'running')));
}

const ref = (id: string) => ({ id, name: id, path: id });

function stateEvent(id: string, from: ServiceState, to: ServiceState, at: number): LifecycleEvent {
  return { type: 'state', service: ref(id), at, from, to };
}

function loaded(): DashboardModel {
  return withSnapshot(initialModel(BOOT, 10_000), tree());
}

describe('dashboard page model', () => {
  describe('initialModel()', () => {
    it('starts with no tree, the crashes of the boot data and the server clock offset', () => {
      const crash = { at: 5, error: { name: 'Error', message: 'boom' } };
      const model = initialModel({ ...BOOT, crashes: { '2': crash } }, 9_400);
      expect(model.tree).to.equal(undefined);
      expect(model.byId.size).to.equal(0);
      expect(model.crashes.get('2')).to.deep.equal(crash);
      expect(model.offset).to.equal(600);
      expect(serverNow(model, 9_500)).to.equal(10_100);
    });
  });

  describe('withSnapshot()', () => {
    it('indexes every service of the tree and selects the root', () => {
      const model = loaded();
      expect([...model.byId.keys()]).to.deep.equal(['1', '2', '3', '4']);
      expect(model.selected).to.equal('1');
    });

    it('keeps the selection while the service is in the new tree, else falls back to the root', () => {
      const picked = withSelection(loaded(), '4');
      expect(withSnapshot(picked, tree()).selected).to.equal('4');
      const without = node('1', 'running', node('2', 'running'));
      expect(withSnapshot(picked, without).selected).to.equal('1');
    });

    it('changes the shape only when services are added or removed', () => {
      const before = treeShape(loaded());
      expect(treeShape(withEvent(loaded(), stateEvent('2', 'running', 'stopping', 20), 10_000))).to.equal(
        before,
      );
      const grown = node(
        '1',
        'running',
        node('2', 'running'),
        node('3', 'running', node('4', 'running'), node('5', 'init')),
      );
      expect(treeShape(withSnapshot(loaded(), grown))).to.not.equal(before);
    });

    it('changes the shape when a service names different prerequisites in after', () => {
      const before = treeShape(loaded());
      const edged = tree();
      const withEdge = { ...edged, children: [edged.children[0]!, { ...edged.children[1]!, after: ['2'] }] };
      const edgedShape = treeShape(withSnapshot(loaded(), withEdge));
      expect(edgedShape).to.not.equal(before);
      const other = { ...edged, children: [edged.children[0]!, { ...edged.children[1]!, after: ['4'] }] };
      expect(treeShape(withSnapshot(loaded(), other))).to.not.equal(edgedShape);
    });
  });

  describe('withEvent()', () => {
    it('moves the service to its new state at the time of the event, leaving the old model as it was', () => {
      const before = loaded();
      const after = withEvent(before, stateEvent('4', 'running', 'stopping', 50), 10_000);
      expect(after.byId.get('4')).to.include({ state: 'stopping', since: 50, restartCount: 0 });
      expect(after.tree?.children[1]?.children[0]).to.equal(after.byId.get('4'));
      expect(before.byId.get('4')).to.include({ state: 'running', since: 0 });
      expect(after.byId.get('2')).to.equal(before.byId.get('2'));
    });

    it('counts a restart on every start after the first', () => {
      let model = withSnapshot(initialModel(BOOT, 10_000), node('1', 'init'));
      model = withEvent(model, stateEvent('1', 'init', 'starting', 1), 10_000);
      expect(model.byId.get('1')?.restartCount).to.equal(0);
      model = withEvent(model, stateEvent('1', 'running', 'crashed', 2), 10_000);
      model = withEvent(model, stateEvent('1', 'crashed', 'starting', 3), 10_000);
      model = withEvent(model, stateEvent('1', 'stopped', 'starting', 4), 10_000);
      expect(model.byId.get('1')).to.include({ state: 'starting', restartCount: 2 });
    });

    it('records a crash with its error as data, and its message as the crash reason', () => {
      const error = { name: 'TypeError', message: 'bad input', stack: 'TypeError: bad input\n    at x' };
      const model = withEvent(loaded(), { type: 'crash', service: ref('3'), at: 70, error }, 10_000);
      expect(model.crashes.get('3')).to.deep.equal({ at: 70, error });
      expect(model.byId.get('3')?.crashReason).to.equal('bad input');
      expect(lastCrash(model, model.byId.get('3')!)).to.equal('bad input');
    });

    it('remembers a crash of a service not yet in the tree, for the next snapshot to show', () => {
      const model = withEvent(loaded(), { type: 'crash', service: ref('9'), at: 70, error: 'gone' }, 10_000);
      expect(model.byId.has('9')).to.equal(false);
      const refreshed = withSnapshot(model, node('1', 'running', node('9', 'crashed')));
      expect(lastCrash(refreshed, refreshed.byId.get('9')!)).to.equal('gone');
    });

    it('leaves the tree alone for events that carry no state (hooks, children, stalls)', () => {
      const before = loaded();
      const hook: LifecycleEvent = {
        type: 'hook',
        service: ref('2'),
        at: 30,
        hook: 'onStart',
        durationMs: 4,
      };
      const after = withEvent(before, hook, 10_000);
      expect(after.tree).to.equal(before.tree);
      expect(after.byId).to.equal(before.byId);
    });

    it('moves the page clock forward when an event is later than the server time it expected', () => {
      const model = initialModel(BOOT, 10_000);
      expect(withEvent(model, stateEvent('1', 'init', 'starting', 10_500), 10_000).offset).to.equal(500);
      expect(withEvent(model, stateEvent('1', 'init', 'starting', 9_000), 10_000).offset).to.equal(0);
    });
  });

  describe('leaseRoles() and leaseText()', () => {
    /** Worker(1) → a(2, leads) → job(3); b(4, follows) → job(5) → part(6); Db(7). */
    function replicas(): DashboardModel {
      const a = { ...node('2', 'running', node('3', 'running')), leader: true };
      const b = { ...node('4', 'running', node('5', 'init', node('6', 'init'))), leader: false };
      const boot: DashboardBoot = {
        ...BOOT,
        leases: { '2': { lease: 'jobs', token: '7' }, '4': { lease: 'jobs' } },
      };
      return withSnapshot(initialModel(boot, 10_000), node('1', 'running', a, b, node('7', 'running')));
    }
    const roles = (model: DashboardModel) => Object.fromEntries(leaseRoles(model));
    const leader = (id: string, leading: boolean, at: number, extra: object = {}): LifecycleEvent => ({
      type: 'leader',
      service: ref(id),
      at,
      leader: leading,
      lease: 'jobs',
      ...extra,
    });

    it('marks the leader, the follower and everything the follower holds; other services have no role', () => {
      const model = replicas();
      expect(roles(model)).to.deep.equal({ '2': 'leader', '4': 'follower', '5': 'held', '6': 'held' });
      expect(leaseText(model, '2', 'leader')).to.equal('leader · jobs #7');
      expect(leaseText(model, '4', 'follower')).to.equal('follower · jobs');
      expect(leaseText(model, '5', 'held')).to.equal('held · waits for the lease');
    });

    it('swaps the roles on leader events, with the token of the new term', () => {
      let model = replicas();
      const error = { name: 'Error', message: 'renewal failed' };
      model = withEvent(model, leader('2', false, 40, { reason: error }), 10_000);
      expect(roles(model)).to.deep.equal({
        '2': 'follower',
        '3': 'held',
        '4': 'follower',
        '5': 'held',
        '6': 'held',
      });
      model = withEvent(model, leader('4', true, 41, { token: '8' }), 10_000);
      expect(roles(model)).to.deep.equal({ '2': 'follower', '3': 'held', '4': 'leader' });
      expect(model.byId.get('4')?.leader).to.equal(true);
      expect(leaseText(model, '4', 'leader')).to.equal('leader · jobs #8');
      expect(leaseText(model, '2', 'follower')).to.equal('follower · jobs');
      expect(logLineOf(leader('2', false, 40, { reason: error }))).to.deep.equal({
        at: 40,
        level: 'warn',
        path: '2',
        text: 'not leading jobs: Error: renewal failed',
      });
    });

    it('leaves the tree alone for a failed acquire of a follower, but shows no follower that is not running', () => {
      const before = replicas();
      const failed = withEvent(before, leader('4', false, 50, { reason: 'refused' }), 10_000);
      expect(failed.tree).to.equal(before.tree);
      const stopped = withEvent(before, stateEvent('4', 'running', 'stopping', 60), 10_000);
      expect(roles(stopped)).to.deep.equal({ '2': 'leader' });
    });

    it('learns the lease of a LeaderService from its first leader event when the boot data lacks it', () => {
      let model = withSnapshot(initialModel(BOOT, 10_000), { ...node('1', 'running'), leader: false });
      expect(leaseText(model, '1', 'follower')).to.equal('follower');
      model = withEvent(model, leader('1', true, 5, { token: '1' }), 10_000);
      expect(leaseText(model, '1', 'leader')).to.equal('leader · jobs #1');
    });
  });

  describe('prerequisiteNames()', () => {
    it("names a service's prerequisites in the order of its after, and none without after", () => {
      const db = { ...node('2', 'running'), name: 'Db' };
      const cache = { ...node('5', 'running'), name: 'Cache', after: ['2'] };
      const api = { ...node('3', 'starting'), name: 'Api', after: ['5', '2', '9'] };
      const model = withSnapshot(initialModel(BOOT, 10_000), node('1', 'running', db, cache, api));
      expect(prerequisiteNames(model, model.byId.get('3')!)).to.deep.equal(['Cache', 'Db', '#9']);
      expect(prerequisiteNames(model, model.byId.get('5')!)).to.deep.equal(['Db']);
      expect(prerequisiteNames(model, model.byId.get('2')!)).to.deep.equal([]);
    });

    it('keeps after across state events', () => {
      const api = { ...node('3', 'init'), after: ['2'] };
      let model = withSnapshot(initialModel(BOOT, 10_000), node('1', 'running', node('2', 'running'), api));
      model = withEvent(model, stateEvent('3', 'init', 'starting', 20), 10_000);
      expect(model.byId.get('3')).to.include({ state: 'starting' });
      expect(prerequisiteNames(model, model.byId.get('3')!)).to.deep.equal(['2']);
    });
  });

  describe('withSelection()', () => {
    it('selects a service of the tree and ignores an unknown id', () => {
      const model = loaded();
      expect(withSelection(model, '3').selected).to.equal('3');
      expect(withSelection(model, 'nope')).to.equal(model);
    });
  });

  describe('logLineOf()', () => {
    it('words an event as a log line stamped with its time', () => {
      const event: LifecycleEvent = {
        type: 'state',
        service: ref('2'),
        at: 42,
        from: 'running',
        to: 'crashed',
        reason: { type: 'crash', error: { name: 'Error', message: 'boom' } },
      };
      expect(logLineOf(event)).to.deep.equal({
        at: 42,
        level: 'error',
        path: '2',
        text: 'running → crashed (crash: Error: boom)',
      });
    });
  });
});
