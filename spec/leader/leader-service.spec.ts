// Specs for LeaderService (API.md section 13) on the in-memory lease, in virtual time: one leader
// among replicas, children that run only while leading, failover when a term ends, acquire errors
// retried with backoff, and the edges (loss during the children's start, stop during acquire, a
// child's crash releasing the term).
import { expect } from 'chai';
import {
  LeaderService,
  Service,
  type Lease,
  type LeaseTerm,
  type LifecycleEvent,
  type ServiceOptions,
} from '../../lib/index.js';
import { createMemoryLease, createVirtualClock, type VirtualClock } from '../../lib/testing/index.js';
import { deferred, flush, outcome } from '../support/lifecycle.js';

/** A child whose start takes `startMs` of the service's scheduler time. */
class Job extends Service {
  constructor(
    options: ServiceOptions,
    readonly startMs = 0,
  ) {
    super(options);
  }
  protected override async onStart(): Promise<void> {
    if (this.startMs > 0) await this.sleep(this.startMs);
  }
}

function leaderEvents(service: Service<any>): string[] {
  const list: string[] = [];
  service.events$.subscribe((e: LifecycleEvent) => {
    if (e.type === 'leader') list.push(`${e.service.name}:${e.leader ? `lead#${e.token}` : 'follow'}`);
  });
  return list;
}

/** Two replicas on one memory lease, each with one child. */
function replicas(clock: VirtualClock) {
  const lease = createMemoryLease({ name: 'jobs' });
  const make = (name: string) => {
    const leader = new LeaderService(lease, { name, scheduler: clock.scheduler });
    const job = leader.addDependency(new Job({ name: `${name}-job` }));
    return { leader, job };
  };
  return { lease, a: make('a'), b: make('b') };
}

describe('LeaderService', () => {
  it('leads on one replica only: the other runs but holds its children stopped', async () => {
    const clock = createVirtualClock();
    const { lease, a, b } = replicas(clock);
    const aLog = leaderEvents(a.leader);
    const bLog = leaderEvents(b.leader);
    await a.leader.start();
    await b.leader.start();
    await clock.flush();
    expect([a.leader.state, b.leader.state]).to.deep.equal(['running', 'running']);
    expect([a.leader.isLeader, b.leader.isLeader]).to.deep.equal([true, false]);
    expect([a.job.state, b.job.state]).to.deep.equal(['running', 'init']);
    expect(a.leader.fencingToken).to.equal('1');
    expect(b.leader.fencingToken).to.equal(undefined);
    expect(lease.token).to.equal('1');
    expect(aLog).to.deep.equal(['a:lead#1']);
    expect(a.leader.toJSON().leader).to.equal(true);
    expect(b.leader.toJSON().leader).to.equal(false);
    expect(bLog).to.deep.equal([]);
    await b.leader.stop();
    await a.leader.stop();
  });

  it('fails over when the term ends: the old leader stops its children with lease-lost, the other starts its own', async () => {
    const clock = createVirtualClock();
    const { lease, a, b } = replicas(clock);
    const aLeader = leaderEvents(a.leader);
    const bLeader = leaderEvents(b.leader);
    const jobStops: unknown[] = [];
    a.job.events$.subscribe((e) => {
      if (e.type === 'state' && e.to === 'stopping') jobStops.push(e.reason);
    });
    await a.leader.start();
    await b.leader.start();
    await clock.flush();
    const reason = new Error('renewal failed');
    expect(lease.expire(reason)).to.equal(true);
    await clock.flush();
    expect([a.leader.isLeader, b.leader.isLeader]).to.deep.equal([false, true]);
    expect([a.job.state, b.job.state]).to.deep.equal(['stopped', 'running']);
    expect(jobStops).to.deep.equal([{ type: 'lease-lost', lease: 'jobs', reason }]);
    expect(aLeader).to.deep.equal(['a:lead#1', 'a:follow']);
    expect(bLeader).to.deep.equal(['b:lead#2']);
    expect(b.leader.fencingToken).to.equal('2');
    // a competes again: it leads once b lets go
    await b.leader.stop();
    await clock.flush();
    expect([a.leader.isLeader, a.job.state, a.leader.fencingToken]).to.deep.equal([true, 'running', '3']);
    await a.leader.stop();
    expect(lease.isHeld).to.equal(false);
  });

  it('stops the children first, then releases the term, then the rest of its stop', async () => {
    const clock = createVirtualClock();
    const order: string[] = [];
    const inner = createMemoryLease({ name: 'ordered' });
    const lease: Lease = {
      name: inner.name,
      acquire: async (signal) => {
        const term = await inner.acquire(signal);
        return {
          token: term.token,
          lost: term.lost,
          release: () => {
            order.push(`release (job ${job.state})`);
            return term.release();
          },
        };
      },
    };
    class Leader extends LeaderService {
      protected override onStop(): void {
        order.push('onStop');
      }
      protected override onShutdown(): void {
        order.push('onShutdown');
      }
    }
    const leader = new Leader(lease, { name: 'leader', scheduler: clock.scheduler });
    const job = leader.addDependency(new Job({ name: 'job' }));
    job.stop$.subscribe(() => order.push('job stopping'));
    await leader.start();
    await clock.flush();
    expect(leader.isLeader).to.equal(true);
    await leader.stop();
    expect(order).to.deep.equal(['onStop', 'job stopping', 'release (job stopped)', 'onShutdown']);
    expect(leader.isLeader).to.equal(false);
    expect(inner.isHeld).to.equal(false);
  });

  it('retries an acquire that failed with the backoff, reporting each failure', async () => {
    const clock = createVirtualClock();
    const inner = createMemoryLease();
    const failures = [new Error('connection refused'), new Error('connection refused again')];
    const attempts: number[] = [];
    const lease: Lease = {
      name: 'flaky',
      acquire: (signal) => {
        attempts.push(clock.now());
        const failure = failures.shift();
        return failure ? Promise.reject(failure) : inner.acquire(signal);
      },
    };
    const warnings: unknown[] = [];
    const logger = {
      debug: () => {},
      info: () => {},
      warn: (fields: unknown) => void warnings.push(fields),
      error: () => {},
    };
    const leader = new LeaderService(lease, {
      name: 'leader',
      scheduler: clock.scheduler,
      logger,
      retry: { initial: 100, max: 1000 },
    });
    const reasons: unknown[] = [];
    leader.events$.subscribe((e) => {
      if (e.type === 'leader' && !e.leader) reasons.push(e.reason);
    });
    await leader.start();
    await clock.advance(1000);
    expect(attempts).to.deep.equal([0, 100, 300]);
    expect(leader.isLeader).to.equal(true);
    expect(reasons.map((r) => (r as Error).message)).to.deep.equal([
      'connection refused',
      'connection refused again',
    ]);
    expect(warnings).to.have.length(2);
    await leader.stop();
  });

  it('stops at once while an acquire waits, leaving nothing queued on the lease', async () => {
    const clock = createVirtualClock();
    const lease = createMemoryLease();
    const holder = await lease.acquire(new AbortController().signal);
    const leader = new LeaderService(lease, { name: 'leader', scheduler: clock.scheduler });
    const job = leader.addDependency(new Job({ name: 'job' }));
    await leader.start();
    await clock.flush();
    expect(leader.isLeader).to.equal(false);
    await leader.stop();
    expect([leader.state, job.state]).to.deep.equal(['stopped', 'stopped']); // never started: init → stopped, no hooks
    await holder.release();
    expect(lease.isHeld).to.equal(false); // the aborted acquire was not granted
  });

  it('stops the children that were still starting when the term is lost, and starts them again next term', async () => {
    const clock = createVirtualClock();
    const lease = createMemoryLease();
    const leader = new LeaderService(lease, { name: 'leader', scheduler: clock.scheduler });
    const slow = leader.addDependency(new Job({ name: 'slow' }, 500));
    const after = leader.addDependency(new Job({ name: 'after' }));
    await leader.start();
    await clock.advance(100);
    expect(slow.state).to.equal('starting');
    lease.expire();
    await clock.flush();
    // the next term began at once (nobody else competes) and started them again
    await clock.advance(600);
    expect([leader.isLeader, leader.fencingToken, slow.state, after.state]).to.deep.equal([
      true,
      '2',
      'running',
      'running',
    ]);
    expect(slow.restartCount).to.equal(1);
    await leader.stop();
  });

  it('crashes when a child crashes, and the crash teardown releases the term', async () => {
    const clock = createVirtualClock();
    const lease = createMemoryLease();
    const leader = new LeaderService(lease, { name: 'leader', scheduler: clock.scheduler });
    const job = leader.addDependency(new Job({ name: 'job' }));
    await leader.start();
    await clock.flush();
    const error = new Error('job failed');
    job.crash(error);
    await clock.flush();
    expect([leader.state, leader.crashReason, leader.isLeader, lease.isHeld]).to.deep.equal([
      'crashed',
      error,
      false,
      false,
    ]);
  });

  it('holds a child added at runtime while following, and starts it with the next term', async () => {
    const clock = createVirtualClock();
    const lease = createMemoryLease();
    const holder = await lease.acquire(new AbortController().signal);
    const leader = new LeaderService(lease, { name: 'leader', scheduler: clock.scheduler });
    await leader.start();
    const late = await leader.addRuntimeDependency(new Job({ name: 'late' }));
    expect(late.state).to.equal('init');
    await holder.release();
    await clock.flush();
    expect([leader.isLeader, late.state]).to.deep.equal([true, 'running']);
    await leader.stop();
  });

  it('reports a failed release through its stop', async () => {
    const clock = createVirtualClock();
    const failure = new Error('unlock failed');
    const never = deferred<unknown>();
    const term: LeaseTerm = { token: '7', lost: never.promise, release: () => Promise.reject(failure) };
    const leader = new LeaderService(
      { name: 'broken', acquire: () => Promise.resolve(term) },
      { name: 'leader', scheduler: clock.scheduler },
    );
    await leader.start();
    await clock.flush();
    expect(leader.fencingToken).to.equal('7');
    const stopped = await outcome(leader.stop());
    expect(stopped.ok).to.equal(false);
    if (!stopped.ok) expect(stopped.error.errors).to.deep.equal([failure]);
    expect(leader.state).to.equal('stopped');
  });

  it('crashes with a TypeError when the lease resolves something that is not a term', async () => {
    const clock = createVirtualClock();
    const leader = new LeaderService(
      { name: 'bad', acquire: () => Promise.resolve({ token: 5 } as unknown as LeaseTerm) },
      { name: 'leader', scheduler: clock.scheduler },
    );
    await leader.start();
    await flush();
    expect(leader.state).to.equal('crashed');
    expect(String(leader.crashReason)).to.match(/TypeError: lease.acquire\(\) must resolve a LeaseTerm/);
  });

  it('refuses a lease that is not one, and a bad retry option, naming the value', () => {
    expect(() => new LeaderService({} as Lease)).to.throw(TypeError, /lease must be a Lease/);
    const lease = createMemoryLease();
    expect(() => new LeaderService(lease, { retry: { initial: '1s', max: '10ms' } })).to.throw(
      TypeError,
      /retry.max must not be less than retry.initial/,
    );
    expect(() => createMemoryLease({ name: '' })).to.throw(TypeError, /name must be a non-empty string/);
    expect(() => createMemoryLease({ nmae: 'x' } as never)).to.throw(TypeError, /unknown option nmae/);
  });
});
