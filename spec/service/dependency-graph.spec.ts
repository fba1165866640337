// Specs for edges between siblings (API.md section 3.6): addDependency(child, { after }), parallel
// start along the edges, parallel stop in reverse, failures, removeDependency of a prerequisite,
// the snapshot's `after`, and a restarted child waiting for its prerequisites.
import { expect } from 'chai';
import {
  InvalidStateError,
  OneForOneSupervisor,
  Service,
  StartTimeoutError,
  type LifecycleEvent,
  type ServiceOptions,
} from '../../lib/index.js';
import { createVirtualClock, type VirtualClock } from '../../lib/testing/index.js';

const PARALLEL: ServiceOptions = { startConcurrency: 'parallel', stopConcurrency: 'parallel' };

/** A service whose onStart and onStop take some virtual time (and may fail). */
class Timed extends Service {
  constructor(
    name: string,
    readonly startMs: number,
    readonly stopMs = 0,
    readonly failStart?: Error,
  ) {
    super({ name });
  }
  protected override async onStart(): Promise<void> {
    await this.sleep(this.startMs);
    if (this.failStart) throw this.failStart;
  }
  protected override async onStop(): Promise<void> {
    if (this.stopMs > 0)
      await new Promise((resolve) => this.scheduler.schedule(() => resolve(undefined), this.stopMs));
  }
}

/** `name state` at virtual time, for every transition of the tree. */
function timeline(root: Service<any>, clock: VirtualClock): string[] {
  const lines: string[] = [];
  root.events$.subscribe((event: LifecycleEvent) => {
    if (event.type === 'state') lines.push(`${clock.now()} ${event.service.name} ${event.to}`);
  });
  return lines;
}

describe('Service', () => {
  describe('#addDependency(child, { after })', () => {
    it('refuses after naming the child itself, a stranger, a child of another parent or a non-service', () => {
      const app = new Service({ name: 'app' });
      const db = app.addDependency(new Service({ name: 'db' }));
      const other = new Service({ name: 'other' });
      const elsewhere = new Service({ name: 'elsewhere' }).addDependency(new Service({ name: 'x' }));
      const cache = new Service({ name: 'cache' });
      expect(() => app.addDependency(cache, { after: cache })).to.throw(TypeError, /not the child itself/);
      expect(() => app.addDependency(cache, { after: other })).to.throw(TypeError, /received other/);
      expect(() => app.addDependency(cache, { after: [db, elsewhere] })).to.throw(
        TypeError,
        /received elsewhere\/x/,
      );
      expect(() => app.addDependency(cache, { after: 'db' as never })).to.throw(TypeError, /received "db"/);
      expect(() => app.addDependency(cache, { before: db } as never)).to.throw(
        TypeError,
        /unknown option before/,
      );
      expect(app.children).to.deep.equal([db]); // nothing was added
      app.addDependency(cache, { after: db });
      expect(() => app.addDependency(cache, { after: db })).to.throw(TypeError, /already a child/);
    });

    it('lists the prerequisites in the snapshot as ids', () => {
      const app = new Service({ name: 'app' });
      const db = app.addDependency(new Service({ name: 'db' }));
      const cache = app.addDependency(new Service({ name: 'cache' }), { after: db });
      app.addDependency(new Service({ name: 'api' }), { after: [db, cache, db] });
      const [dbSnap, cacheSnap, apiSnap] = app.toJSON().children;
      expect(dbSnap!.after).to.equal(undefined);
      expect(cacheSnap!.after).to.deep.equal([db.id]);
      expect(apiSnap!.after).to.deep.equal([db.id, cache.id]);
    });
  });

  describe('parallel start along the edges', () => {
    it('starts each child as soon as its prerequisites run: boot takes the longest chain', async () => {
      const clock = createVirtualClock();
      const app = new Service({ name: 'app', scheduler: clock.scheduler, ...PARALLEL });
      const db = app.addDependency(new Timed('db', 50));
      const cache = app.addDependency(new Timed('cache', 30), { after: db });
      app.addDependency(new Timed('api', 10), { after: [db, cache] });
      app.addDependency(new Timed('metrics', 40));
      const lines = timeline(app, clock);
      await clock.until(app.start());
      expect(lines.filter((l) => !l.includes(' app '))).to.deep.equal([
        '0 db starting',
        '0 metrics starting',
        '40 metrics running',
        '50 db running',
        '50 cache starting',
        '80 cache running',
        '80 api starting',
        '90 api running',
      ]);
      expect(clock.now()).to.equal(90); // db → cache → api, not the sum (130)
      await clock.until(app.stop());
    });

    it('keeps insertion order with sequential start, which honours every edge too', async () => {
      const clock = createVirtualClock();
      const app = new Service({ name: 'app', scheduler: clock.scheduler });
      const db = app.addDependency(new Timed('db', 5));
      app.addDependency(new Timed('metrics', 5));
      app.addDependency(new Timed('cache', 5), { after: db });
      const lines = timeline(app, clock);
      await clock.until(app.start());
      expect(lines.filter((l) => l.endsWith('starting') && !l.includes(' app '))).to.deep.equal([
        '0 db starting',
        '5 metrics starting',
        '10 cache starting',
      ]);
      await clock.until(app.stop());
    });

    it('never starts a child whose prerequisite failed; the start rolls back and rejects with the failure', async () => {
      const clock = createVirtualClock();
      const app = new Service({ name: 'app', scheduler: clock.scheduler, ...PARALLEL });
      const failure = new Error('db is down');
      const db = app.addDependency(new Timed('db', 20, 0, failure));
      const cache = app.addDependency(new Timed('cache', 5), { after: db });
      const metrics = app.addDependency(new Timed('metrics', 5));
      const lines = timeline(app, clock);
      const outcome = await clock.until(
        app.start().then(
          () => 'started',
          (e: unknown) => e,
        ),
      );
      expect(outcome).to.equal(failure);
      expect(lines.some((l) => l.includes('cache starting'))).to.equal(false);
      expect([app.state, db.state, cache.state, metrics.state]).to.deep.equal([
        'crashed',
        'crashed',
        'stopped',
        'stopped',
      ]);
    });

    it('names the prerequisite that is stuck when the start times out', async () => {
      const clock = createVirtualClock();
      const app = new Service({ name: 'app', scheduler: clock.scheduler, startTimeout: 100, ...PARALLEL });
      const db = app.addDependency(new Timed('db', 1_000));
      app.addDependency(new Timed('cache', 5), { after: db });
      const outcome = await clock.until(
        app.start().then(
          () => undefined,
          (e: unknown) => e,
        ),
      );
      expect(outcome).to.be.instanceOf(StartTimeoutError);
      expect((outcome as StartTimeoutError).stuck).to.deep.equal({ path: 'app/db', phase: 'onStart' });
    });

    it('stops exactly what started when a stop comes during the start', async () => {
      const clock = createVirtualClock();
      const app = new Service({ name: 'app', scheduler: clock.scheduler, ...PARALLEL });
      const db = app.addDependency(new Timed('db', 50));
      const cache = app.addDependency(new Timed('cache', 30), { after: db });
      const starting = app.start();
      await clock.advance(20);
      await clock.until(Promise.all([starting, app.stop()]));
      expect([app.state, db.state, cache.state]).to.deep.equal(['stopped', 'stopped', 'stopped']);
      expect(clock.pending).to.equal(0);
    });
  });

  describe('parallel stop along the edges', () => {
    it('stops a child once every sibling that needs it has stopped: dependents first', async () => {
      const clock = createVirtualClock();
      const app = new Service({ name: 'app', scheduler: clock.scheduler, ...PARALLEL });
      const db = app.addDependency(new Timed('db', 0, 10));
      const cache = app.addDependency(new Timed('cache', 0, 20), { after: db });
      app.addDependency(new Timed('api', 0, 5), { after: [db, cache] });
      app.addDependency(new Timed('metrics', 0, 30));
      await clock.until(app.start());
      const lines = timeline(app, clock);
      const t0 = clock.now();
      await clock.until(app.stop());
      const rel = lines
        .filter((l) => !l.includes(' app '))
        .map((l) => l.replace(/^\d+/, (t) => `${Number(t) - t0}`));
      expect(rel).to.deep.equal([
        '0 metrics stopping', // reverse insertion order among those free to stop at once
        '0 api stopping',
        '5 api stopped',
        '5 cache stopping',
        '25 cache stopped',
        '25 db stopping',
        '30 metrics stopped',
        '35 db stopped',
      ]);
    });
  });

  describe('#removeDependency() of a prerequisite', () => {
    it('rejects with InvalidStateError while a sibling names it in after, and changes nothing', async () => {
      const app = new Service({ name: 'app' });
      const db = app.addDependency(new Service({ name: 'db' }));
      const cache = app.addDependency(new Service({ name: 'cache' }), { after: db });
      await app.start();
      const error = await app.removeDependency(db).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(InvalidStateError);
      expect((error as InvalidStateError).operation).to.match(/^removeDependency.*app\/cache/);
      expect([db.parent, db.state]).to.deep.equal([app, 'running']);
      await app.removeDependency(cache);
      await app.removeDependency(db); // nobody names it any more
      expect(app.children).to.deep.equal([]);
      await app.stop();
    });
  });

  describe('under a supervisor', () => {
    it('restarts a crashed child only once its prerequisites run', async () => {
      const clock = createVirtualClock();
      const sup = new OneForOneSupervisor({
        name: 'sup',
        scheduler: clock.scheduler,
        backoff: { initial: 100, max: 100 },
        ...PARALLEL,
      });
      const db = new Timed('db', 50); // a slow start: cache must not be started before it ends
      const cache = new Timed('cache', 0);
      sup.add(db);
      sup.addDependency(cache, { after: db });
      await clock.until(sup.start());
      const lines = timeline(sup, clock);
      const t0 = clock.now();
      db.crash(new Error('db lost'));
      cache.crash(new Error('cache lost'));
      await clock.advance(300);
      const rel = (l: string): string => l.replace(/^\d+/, (t) => `${Number(t) - t0}`);
      // both wait 100 ms of backoff; db takes 50 ms to start; cache is started only once db runs
      expect(lines.filter((l) => /(starting|running)$/.test(l)).map(rel)).to.deep.equal([
        '100 db starting',
        '150 db running',
        '150 cache starting',
        '150 cache running',
      ]);
      await clock.until(sup.stop());
    });
  });
});
