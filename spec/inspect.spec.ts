// Specs for inspection (API.md section 8): snapshot$ throttling on the tree's clock, runtime
// children appearing and disappearing, and the DOT and Mermaid renderings of a tree, with the
// `after` edges between siblings (section 3.6).
import { expect } from 'chai';
import { VirtualTimeScheduler } from 'rxjs';
import sinon from 'sinon';
import { snapshot$, toDot, toMermaid } from '../lib/inspect.js';
import { Service, type ServiceSnapshot } from '../lib/index.js';

/** Every service of a snapshot, pre-order. */
function flatten(snapshot: ServiceSnapshot): ServiceSnapshot[] {
  return [snapshot, ...snapshot.children.flatMap(flatten)];
}

/** Records the snapshots of snapshot$ with the (fake) time each arrived. */
function record(root: Service<any>, throttle?: number | '1s') {
  const seen: { at: number; snapshot: ServiceSnapshot }[] = [];
  const sub = snapshot$(root, throttle === undefined ? undefined : { throttle }).subscribe((snapshot) =>
    seen.push({ at: root.scheduler.now(), snapshot }),
  );
  return { seen, stop: () => sub.unsubscribe() };
}

/** A service whose onStart takes `ms` on the fake clock. */
class Slow extends Service {
  constructor(
    name: string,
    readonly ms: number,
  ) {
    super({ name });
  }
  protected override async onStart(): Promise<void> {
    await this.sleep(this.ms);
  }
}

describe('snapshot$()', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => {
    clock.restore();
  });

  it('emits the current snapshot on subscribe', async () => {
    const root = new Service({ name: 'app' });
    root.addDependency(new Service({ name: 'db' }));
    await root.start();
    const rec = record(root);
    expect(rec.seen).to.have.length(1);
    expect(rec.seen[0]!.snapshot).to.deep.equal(root.toJSON());
    expect(flatten(rec.seen[0]!.snapshot).map((s) => `${s.path}:${s.state}`)).to.deep.equal([
      'app:running',
      'app/db:running',
    ]);
    rec.stop();
    await root.stop();
  });

  it('shows a change outside a window at once and the changes inside it together at its end', async () => {
    const root = new Service({ name: 'app' });
    root.addDependency(new Slow('db', 30));
    const rec = record(root); // t=0, window until 100
    await clock.tickAsync(150);
    const starting = root.start(); // t=150: outside a window → at once
    expect(rec.seen.map((s) => s.at)).to.deep.equal([0, 150]);
    expect(rec.seen[1]!.snapshot.state).to.equal('starting');
    await clock.tickAsync(30);
    await starting; // t=180: everything running, inside the window that ends at 250
    expect(rec.seen).to.have.length(2);
    await clock.tickAsync(70);
    expect(rec.seen.map((s) => s.at)).to.deep.equal([0, 150, 250]);
    expect(flatten(rec.seen[2]!.snapshot).map((s) => s.state)).to.deep.equal(['running', 'running']);
    await clock.tickAsync(500);
    expect(rec.seen).to.have.length(3); // no change, no snapshot
    rec.stop();
    await root.stop();
  });

  it('emits at most once per window while the tree keeps changing, and shows the last change', async () => {
    const root = new Service({ name: 'app' });
    const rec = record(root, 100);
    for (let i = 0; i < 12; i++) {
      await root.start();
      await clock.tickAsync(20);
      await root.stop();
      await clock.tickAsync(20);
    }
    await clock.tickAsync(100);
    const times = rec.seen.map((s) => s.at);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).to.be.at.least(100);
    expect(rec.seen.length).to.be.within(5, 7); // 480 ms of churn in 100 ms windows
    const last = rec.seen.at(-1)!.snapshot;
    expect([last.state, last.restartCount]).to.deep.equal(['stopped', 11]);
    rec.stop();
  });

  it('shows children added at runtime and drops removed ones', async () => {
    const root = new Service({ name: 'app' });
    await root.start();
    const rec = record(root, 50);
    await clock.tickAsync(60);
    const cache = await root.addRuntimeDependency(new Service({ name: 'cache' }));
    await clock.tickAsync(60);
    expect(rec.seen.at(-1)!.snapshot.children.map((c) => `${c.name}:${c.state}`)).to.deep.equal([
      'cache:running',
    ]);
    await root.removeDependency(cache);
    await clock.tickAsync(60);
    expect(rec.seen.at(-1)!.snapshot.children).to.deep.equal([]);
    rec.stop();
    await root.stop();
  });

  it('emits on every change with throttle 0', async () => {
    const root = new Service({ name: 'app' });
    root.addDependency(new Service({ name: 'db' }));
    const rec = record(root, 0);
    await root.start();
    expect(rec.seen.map((s) => `${s.snapshot.state}/${s.snapshot.children[0]!.state}`)).to.deep.equal([
      'init/init',
      'starting/init',
      'starting/starting',
      'starting/running',
      'running/running',
    ]);
    expect(clock.countTimers()).to.equal(0);
    rec.stop();
    await root.stop();
  });

  it('takes a Duration string and leaves no timer behind once unsubscribed', async () => {
    const root = new Service({ name: 'app' });
    const rec = record(root, '1s');
    await root.start(); // inside the first window: pending
    expect(rec.seen).to.have.length(1);
    rec.stop();
    expect(clock.countTimers()).to.equal(0);
    await clock.tickAsync(2000);
    expect(rec.seen).to.have.length(1);
    await root.stop();
  });

  it('times its windows on the root scheduler', async () => {
    const scheduler = new VirtualTimeScheduler();
    const root = new Service({ name: 'app', scheduler });
    const rec = record(root, 100);
    await root.start(); // at virtual 0, inside the first window
    expect(rec.seen).to.have.length(1);
    scheduler.flush(); // virtual time runs to the end of the window
    expect(rec.seen.map((s) => [s.at, s.snapshot.state])).to.deep.equal([
      [0, 'init'],
      [100, 'running'],
    ]);
    rec.stop();
    await root.stop();
    scheduler.flush();
  });

  it('rejects a bad root or throttle with a TypeError naming it', () => {
    expect(() => snapshot$({} as Service)).to.throw(TypeError, /root must be a Service/);
    expect(() => snapshot$(new Service(), { throttle: 'soon' as '1s' })).to.throw(
      TypeError,
      /throttle.*"soon"/,
    );
    expect(() => snapshot$(new Service(), { throttle: -1 })).to.throw(TypeError, /throttle/);
  });
});

/** app → (db, api → (worker, "quoted" name)), with varied states. */
async function sampleTree(clock: sinon.SinonFakeTimers) {
  const root = new Service({ name: 'app' });
  const db = root.addDependency(new Slow('db', 40));
  const api = root.addDependency(new Service({ name: 'api' }));
  const worker = api.addDependency(new Service({ name: 'worker' }));
  const quoted = api.addDependency(new Service({ name: 'say "hi" <#1>' }));
  const starting = root.start();
  await clock.tickAsync(40);
  await starting;
  await worker.stop(); // stopped on its own while the others run
  await clock.tickAsync(2500);
  return { root, db, api, worker, quoted, all: [root, db, api, worker, quoted] };
}

/** app (parallel) → (db, cache after db, api after db and cache → (router, handlers after router)). */
async function graphTree(clock: sinon.SinonFakeTimers) {
  const root = new Service({ name: 'app', startConcurrency: 'parallel', stopConcurrency: 'parallel' });
  const db = root.addDependency(new Slow('db', 40));
  const cache = root.addDependency(new Slow('cache', 10), { after: db });
  const api = root.addDependency(new Service({ name: 'api' }), { after: [db, cache] });
  const router = api.addDependency(new Service({ name: 'router' }));
  const handlers = api.addDependency(new Service({ name: 'handlers' }), { after: router });
  const starting = root.start();
  await clock.tickAsync(50);
  await starting;
  return { root, db, cache, api, router, handlers };
}

/** Stops `root` while the fake clock moves. */
async function settleStop(clock: sinon.SinonFakeTimers, root: Service<any>): Promise<void> {
  const stopping = root.stop();
  await clock.tickAsync(100);
  await stopping;
}

/** A snapshot tree without any `after`. */
function withoutAfter(snapshot: ServiceSnapshot): ServiceSnapshot {
  const { after: _after, ...rest } = snapshot;
  return { ...rest, children: snapshot.children.map(withoutAfter) };
}

describe('toDot()', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => {
    clock.restore();
  });

  it('draws every service with its state, time in state, restarts and durations, and every edge', async () => {
    const { root, db, api, worker, quoted, all } = await sampleTree(clock);
    const dot = toDot(root);
    expect(dot.startsWith('digraph rxmode {\n')).to.equal(true);
    expect(dot.trimEnd().endsWith('}')).to.equal(true);
    for (const service of all) expect(dot).to.include(`"${service.id}" [label="`);
    const edges = [...dot.matchAll(/^ {2}"(\d+)" -> "(\d+)";$/gm)].map((m) => `${m[1]}>${m[2]}`);
    expect(edges.sort()).to.deep.equal(
      [
        `${root.id}>${db.id}`,
        `${root.id}>${api.id}`,
        `${api.id}>${worker.id}`,
        `${api.id}>${quoted.id}`,
      ].sort(),
    );
    const dbLine = dot.split('\n').find((line) => line.startsWith(`  "${db.id}" [`))!;
    expect(dbLine).to.include('label="db\\nrunning for 2.50 seconds\\nrestarts: 0\\nstart 40 ms"');
    expect(dbLine).to.include('fillcolor="#bbf7d0"');
    const workerLine = dot.split('\n').find((line) => line.startsWith(`  "${worker.id}" [`))!;
    expect(workerLine).to.match(/stopped for 2\.50 seconds\\nrestarts: 0\\nstart 0 ms, stop 0 ms"/);
    expect(workerLine).to.include('fillcolor="#d1d5db"');
    expect(dot).to.include('label="say \\"hi\\" <#1>\\n');
    // every statement inside the braces ends with a semicolon
    const body = dot.trim().split('\n').slice(1, -1);
    for (const line of body) expect(line).to.match(/;$/);
    await root.stop();
  });

  it('draws a dashed `before` edge from each prerequisite to the sibling naming it in after', async () => {
    const { root, db, cache, api, router, handlers } = await graphTree(clock);
    const dot = toDot(root);
    const sibling = [...dot.matchAll(/^ {2}"(\d+)" -> "(\d+)" \[(.*)\];$/gm)];
    expect(sibling.map((m) => `${m[1]}>${m[2]}`).sort()).to.deep.equal(
      [
        `${db.id}>${cache.id}`,
        `${db.id}>${api.id}`,
        `${cache.id}>${api.id}`,
        `${router.id}>${handlers.id}`,
      ].sort(),
    );
    for (const m of sibling) {
      expect(m[3]).to.include('style=dashed');
      expect(m[3]).to.include('label="before"');
      expect(m[3]).to.include('constraint=false');
    }
    // the parent → child edges are all still there, plain
    const tree = [...dot.matchAll(/^ {2}"(\d+)" -> "(\d+)";$/gm)].map((m) => `${m[1]}>${m[2]}`);
    expect(tree).to.have.length(5);
    await settleStop(clock, root);
  });

  it('draws nothing more for a tree without after, and only edges between siblings', async () => {
    const { root, db, api } = await graphTree(clock);
    const snapshot = root.toJSON();
    const plain = toDot(withoutAfter(snapshot), { now: 0 });
    expect(plain).not.to.include('style=dashed');
    // the sibling edges are additions only: dropping them gives the drawing without after
    const drawn = toDot(snapshot, { now: 0 });
    const kept = drawn.split('\n').filter((line) => !line.includes('label="before"'));
    expect(kept.join('\n')).to.equal(plain);
    // an id that is not a sibling (a snapshot made elsewhere) draws no edge and no extra node
    const [dbSnap, , apiSnap] = snapshot.children;
    const odd: ServiceSnapshot = {
      ...snapshot,
      after: [db.id],
      children: [dbSnap!, { ...withoutAfter(apiSnap!), after: ['nope', api.id, root.id] }],
    };
    expect(toDot(odd, { now: 0 })).not.to.include('label="before"');
    await settleStop(clock, root);
  });

  it('renders a snapshot, measuring time in state against `now`, and shows a crash', async () => {
    const root = new Service({ name: 'app' });
    await root.start();
    root.crash(new Error('disk\n  full'));
    await root.waitUntilStopped();
    const snapshot = root.toJSON();
    const dot = toDot(snapshot, { now: snapshot.since + 90_000 });
    expect(dot).to.include(
      'label="app\\ncrashed for 1.50 minutes\\nrestarts: 0\\nstart 0 ms, stop 0 ms\\ncrash: disk full"',
    );
    expect(dot).to.include('fillcolor="#fecaca"');
  });

  it('rejects what is not a tree', () => {
    expect(() => toDot(42 as unknown as ServiceSnapshot)).to.throw(
      TypeError,
      /root must be a Service or a ServiceSnapshot/,
    );
    expect(() => toDot(new Service(), { now: Number.NaN })).to.throw(
      TypeError,
      /now must be a finite number/,
    );
  });
});

describe('toMermaid()', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => {
    clock.restore();
  });

  it('draws every service as a node classed by state, with an arrow from parent to child', async () => {
    const { root, db, api, worker, quoted, all } = await sampleTree(clock);
    const text = toMermaid(root);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).to.equal('flowchart TD');
    const nodes = lines.filter((line) => /^ {2}s\d+\[".*"\]:::\w+$/.test(line));
    expect(nodes).to.have.length(all.length);
    for (const service of all) expect(text).to.match(new RegExp(`^ {2}s${service.id}\\["<b>`, 'm'));
    expect(text).to.include(
      `  s${db.id}["<b>db</b><br/>running for 2.50 seconds<br/>restarts: 0<br/>start 40 ms"]:::running`,
    );
    expect(text).to.include(`  s${worker.id}["<b>worker</b><br/>stopped for 2.50 seconds`);
    expect(text).to.match(new RegExp(`s${worker.id}\\[.*\\]:::stopped`));
    expect(text).to.include('<b>say #quot;hi#quot; #lt;#35;1#gt;</b>');
    const arrows = lines.filter((line) => line.includes('-->'));
    expect(arrows.sort()).to.deep.equal(
      [
        `  s${root.id} --> s${db.id}`,
        `  s${root.id} --> s${api.id}`,
        `  s${api.id} --> s${worker.id}`,
        `  s${api.id} --> s${quoted.id}`,
      ].sort(),
    );
    expect(lines).to.include('  classDef running fill:#bbf7d0,stroke:#16a34a,color:#111827;');
    expect(lines).to.include('  classDef stopped fill:#d1d5db,stroke:#374151,color:#111827;');
    // a label never holds a bare double quote, which would end it early
    for (const node of nodes)
      expect(node.slice(node.indexOf('["') + 2, node.lastIndexOf('"]'))).not.to.include('"');
    await root.stop();
  });

  it('draws a dotted `before` arrow from each prerequisite to the sibling naming it in after', async () => {
    const { root, db, cache, api, router, handlers } = await graphTree(clock);
    const lines = toMermaid(root).trimEnd().split('\n');
    expect(lines.filter((line) => line.includes('-. before .->')).sort()).to.deep.equal(
      [
        `  s${db.id} -. before .-> s${cache.id}`,
        `  s${db.id} -. before .-> s${api.id}`,
        `  s${cache.id} -. before .-> s${api.id}`,
        `  s${router.id} -. before .-> s${handlers.id}`,
      ].sort(),
    );
    expect(lines.filter((line) => line.includes('-->'))).to.have.length(5);
    const plain = toMermaid(withoutAfter(root.toJSON()), { now: 0 });
    expect(plain).not.to.include('-.');
    expect(toMermaid(root.toJSON(), { now: 0 }).replace(/^.* -\. before \.-> .*\n/gm, '')).to.equal(plain);
    await settleStop(clock, root);
  });

  it('draws a tree that changed at runtime as it is now', async () => {
    const root = new Service({ name: 'app' });
    await root.start();
    const extra = await root.addRuntimeDependency(new Service({ name: 'extra' }));
    expect(toMermaid(root)).to.include(`s${root.id} --> s${extra.id}`);
    await root.removeDependency(extra);
    expect(toMermaid(root)).not.to.include(`s${extra.id}`);
    await root.stop();
  });
});
