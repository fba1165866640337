// Specs for the spans of rxmode/otel (API.md section 11), recorded by the real OpenTelemetry SDK:
// start/stop spans nested like the tree, hook sub-spans, crashes, restarts, supervisor decisions,
// leadership changes of a LeaderService (section 13) and the concurrency of a dependency graph among
// siblings (section 3.6).
import { SpanStatusCode, context, metrics, trace, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { expect } from 'chai';
import sinon from 'sinon';
import { LeaderService, Service } from '../../lib/index.js';
import { instrument } from '../../lib/otel/index.js';
import { createMemoryLease } from '../../lib/testing/index.js';
import { MiniSupervisor, Node } from './fixtures.js';
import { idOf, ms, parentOf, sdk } from './sdk.js';

const attrs = (span: ReadableSpan) => span.attributes;
const duration = (span: ReadableSpan): number => ms(span.endTime) - ms(span.startTime);

describe('instrument() spans', () => {
  let clock: sinon.SinonFakeTimers;
  let otel: ReturnType<typeof sdk>;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 1_000_000 });
    otel = sdk();
  });
  afterEach(async () => {
    clock.restore();
    await otel.shutdown();
  });

  /** Runs a promise to its end while the fake clock moves. */
  async function settle<T>(promise: Promise<T>, ms = 1000): Promise<T> {
    await clock.tickAsync(ms);
    return promise;
  }

  it('opens one start and one stop span per service and run, nested like the tree', async () => {
    const root = new Node('app', { onStart: 10 });
    const db = root.addDependency(new Node('db', { onStart: 20 }));
    const pool = db.addDependency(new Service({ name: 'pool' }));
    const api = root.addDependency(new Service({ name: 'api' }));
    const stop = instrument(root, otel);
    await settle(root.start());
    await settle(root.stop());
    const names = otel
      .spans()
      .map((s) => s.name)
      .filter((n) => !n.startsWith('hook'));
    expect(names).to.deep.equal([
      'start pool',
      'start db',
      'start api',
      'start app',
      'stop api',
      'stop pool',
      'stop db',
      'stop app',
    ]);
    const [startApp, startDb, startPool, startApi] = ['app', 'db', 'pool', 'api'].map((n) =>
      otel.span(`start ${n}`),
    );
    expect(parentOf(startApp!)).to.equal(undefined);
    expect(parentOf(startDb!)).to.equal(idOf(startApp!));
    expect(parentOf(startPool!)).to.equal(idOf(startDb!));
    expect(parentOf(startApi!)).to.equal(idOf(startApp!));
    const [stopApp, stopDb, stopPool, stopApi] = ['app', 'db', 'pool', 'api'].map((n) =>
      otel.span(`stop ${n}`),
    );
    expect(parentOf(stopApp!)).to.equal(undefined);
    expect(parentOf(stopDb!)).to.equal(idOf(stopApp!));
    expect(parentOf(stopPool!)).to.equal(idOf(stopDb!));
    expect(parentOf(stopApi!)).to.equal(idOf(stopApp!));
    expect(attrs(startPool!)).to.deep.include({
      'rxmode.service.path': 'app/db/pool',
      'rxmode.service.id': pool.id,
      'rxmode.service.state': 'running',
    });
    expect(attrs(stopApi!)).to.deep.include({
      'rxmode.service.path': 'app/api',
      'rxmode.service.id': api.id,
      'rxmode.service.state': 'stopped',
      'rxmode.stop.reason': 'parent',
    });
    expect(attrs(stopApp!)['rxmode.stop.reason']).to.equal('manual');
    expect(duration(startApp!)).to.equal(30);
    expect(duration(startDb!)).to.equal(20);
    expect(ms(startApp!.startTime)).to.equal(1_000_000);
    for (const span of otel.spans()) expect(span.status.code).to.equal(SpanStatusCode.UNSET);
    stop();
  });

  it("opens a dependent's start span when its last prerequisite runs, and stops prerequisites after it", async () => {
    const root = new Node('app', {}, { startConcurrency: 'parallel', stopConcurrency: 'parallel' });
    const db = root.addDependency(new Node('db', { onStart: 30, onStop: 2 }));
    root.addDependency(new Node('logs', { onStart: 5 }));
    const cache = root.addDependency(new Node('cache', { onStart: 10, onStop: 4 }), { after: db });
    root.addDependency(new Node('api', { onStart: 5, onStop: 8 }), { after: [db, cache] });
    const stop = instrument(root, otel);
    await settle(root.start());
    const start = (name: string) => otel.span(`start ${name}`);
    const [app, dbSpan, logs, cacheSpan, api] = ['app', 'db', 'logs', 'cache', 'api'].map(start);
    const t0 = ms(app!.startTime);
    // what has no prerequisite starts at once, side by side
    expect([ms(dbSpan!.startTime), ms(logs!.startTime)]).to.deep.equal([t0, t0]);
    // a dependent's start span begins no earlier than its prerequisites' start spans end
    expect(ms(cacheSpan!.startTime)).to.be.at.least(ms(dbSpan!.endTime));
    expect(ms(api!.startTime)).to.be.at.least(Math.max(ms(dbSpan!.endTime), ms(cacheSpan!.endTime)));
    expect([ms(cacheSpan!.startTime), ms(api!.startTime), ms(app!.endTime)]).to.deep.equal([
      t0 + 30,
      t0 + 40,
      t0 + 45,
    ]);
    for (const span of [dbSpan, logs, cacheSpan, api]) expect(parentOf(span!)).to.equal(idOf(app!));
    // the waiting shows in no hook span: each hook span lies inside its own start span
    const hook = otel.spans().find((s) => s.name === 'hook onStart' && parentOf(s) === idOf(cacheSpan!));
    expect(ms(hook!.startTime)).to.equal(ms(cacheSpan!.startTime));

    await settle(root.stop());
    const stopOf = (name: string) => otel.span(`stop ${name}`);
    expect(ms(stopOf('cache').startTime)).to.be.at.least(ms(stopOf('api').endTime));
    expect(ms(stopOf('db').startTime)).to.be.at.least(ms(stopOf('cache').endTime));
    expect(ms(stopOf('logs').startTime)).to.equal(ms(stopOf('app').startTime));
    stop();
  });

  it('adds a sub-span per hook inside the span of its phase, with its duration', async () => {
    const root = new Node('app', { onStart: 25, onStop: 5, onShutdown: 7 });
    const stop = instrument(root, otel);
    await settle(root.start());
    await settle(root.stop());
    const hook = otel.span('hook onStart');
    expect(parentOf(hook)).to.equal(idOf(otel.span('start app')));
    expect(duration(hook)).to.equal(25);
    expect(attrs(hook)).to.deep.include({ 'rxmode.hook': 'onStart', 'rxmode.service.path': 'app' });
    expect(parentOf(otel.span('hook onStop'))).to.equal(idOf(otel.span('stop app')));
    expect(parentOf(otel.span('hook onShutdown'))).to.equal(idOf(otel.span('stop app')));
    expect(duration(otel.span('hook onShutdown'))).to.equal(7);
    expect(duration(otel.span('stop app'))).to.equal(12);
    stop();
  });

  it('opens new spans on every run and marks a restart with a restart event', async () => {
    const root = new Service({ name: 'app' });
    const stop = instrument(root, otel);
    await root.start();
    await root.restart();
    await root.stop();
    expect(otel.spans().map((s) => s.name)).to.deep.equal(['start app', 'stop app', 'start app', 'stop app']);
    expect(otel.span('start app', 0).events).to.deep.equal([]);
    const [restart] = otel.span('start app', 1).events;
    expect(restart?.name).to.equal('restart');
    expect(restart?.attributes).to.deep.equal({
      'rxmode.service.restarts': 1,
      'rxmode.service.previous_state': 'stopped',
    });
    expect(otel.span('stop app', 0).attributes['rxmode.stop.reason']).to.equal('restart');
    stop();
  });

  it('fails the start span of a failed start with the exception, around the rollback', async () => {
    const root = new Node('app', { onStop: 4 });
    const db = root.addDependency(new Node('db', { onStop: 6 }));
    root.addDependency(new Node('cache', { onStart: new Error('no cache') }));
    const stop = instrument(root, otel);
    const error = await settle(root.start().catch((e: unknown) => e));
    expect(error).to.have.property('message', 'no cache');
    for (const name of ['cache', 'app']) {
      const span = otel.span(`start ${name}`);
      expect(span.status, name).to.deep.equal({ code: SpanStatusCode.ERROR, message: 'no cache' });
      expect(
        span.events.map((e) => [e.name, e.attributes?.['exception.message']]),
        name,
      ).to.deep.equal([['exception', 'no cache']]);
      expect(attrs(span)['rxmode.service.state'], name).to.equal('crashed');
      expect(parentOf(otel.span(`stop ${name}`)), name).to.equal(idOf(span));
    }
    expect(otel.span('start db').status.code).to.equal(SpanStatusCode.UNSET);
    expect(parentOf(otel.span('stop db'))).to.equal(idOf(otel.span('stop app')));
    expect(otel.span('stop db').attributes['rxmode.service.state']).to.equal('stopped');
    expect(duration(otel.span('start app'))).to.equal(10); // the rollback: app's onStop and db's
    expect(db.state).to.equal('stopped');
    stop();
  });

  it('records a crash while running as an ERROR crash span holding the teardown', async () => {
    const root = new Node('app', { onStop: 3 });
    const db = root.addDependency(new Node('db', { onStop: 40 }));
    const stop = instrument(root, otel);
    await root.start();
    await clock.tickAsync(100);
    db.crash(new TypeError('socket closed'));
    await settle(root.waitUntilStopped());
    const crashDb = otel.span('crash db');
    const crashApp = otel.span('crash app');
    for (const span of [crashDb, crashApp]) {
      expect(span.status).to.deep.equal({ code: SpanStatusCode.ERROR, message: 'socket closed' });
      expect(span.events[0]?.name).to.equal('exception');
      expect(span.events[0]?.attributes).to.include({
        'exception.type': 'TypeError',
        'exception.message': 'socket closed',
      });
    }
    expect(parentOf(otel.span('stop db'))).to.equal(idOf(crashDb));
    expect(parentOf(otel.span('stop app'))).to.equal(idOf(crashApp));
    const dbHook = otel
      .spans()
      .find((s) => s.name === 'hook onStop' && attrs(s)['rxmode.service.path'] === 'app/db');
    expect(parentOf(dbHook!)).to.equal(idOf(otel.span('stop db')));
    expect(duration(crashDb)).to.equal(40);
    expect(duration(crashApp)).to.equal(40); // app's teardown waits for db's
    expect(ms(crashDb.startTime)).to.equal(1_000_100);
    expect(otel.span('stop app').attributes).to.deep.include({
      'rxmode.stop.reason': 'crash',
      'rxmode.service.state': 'crashed',
    });
    stop();
  });

  it('puts supervisor decisions on the crashed child span, and the restart on its next start', async () => {
    const root = new MiniSupervisor({ name: 'sup' });
    const worker = root.addDependency(new Node('worker', { onStop: 5 }));
    const stop = instrument(root, otel);
    await root.start();
    worker.crash(new Error('boom'));
    await clock.tickAsync(10);
    await worker.waitFor('running');
    const crash = otel.span('crash worker');
    const decision = crash.events.find((e) => e.name === 'supervisor.decision');
    expect(decision?.attributes).to.deep.equal({
      'rxmode.service.path': 'sup/worker',
      'rxmode.supervisor.path': 'sup',
      'rxmode.supervisor.decision': 'restart',
      'rxmode.supervisor.attempt': 1,
      'rxmode.supervisor.delay_ms': 0,
    });
    expect(duration(crash)).to.equal(5);
    expect(root.state).to.equal('running');
    await settle(root.stop());
    const restarted = otel.span('start worker', 1);
    expect(
      restarted.events.map((e) => [e.name, e.attributes?.['rxmode.service.previous_state']]),
    ).to.deep.equal([['restart', 'crashed']]);
    expect(parentOf(restarted)).to.equal(undefined); // the supervisor was running: a trace of its own
    root.announce(worker); // nothing open: a short span carries it
    expect(otel.span('supervise sup').events[0]?.attributes?.['rxmode.supervisor.decision']).to.equal(
      'forfeit',
    );
    stop();
  });

  it('records leadership changes as leader events: on a short lease span while running, else on the open span', async () => {
    const lease = createMemoryLease({ name: 'jobs' });
    const root = new Service({ name: 'app' });
    const a = root.addDependency(new LeaderService(lease, { name: 'a' }));
    root.addDependency(new LeaderService(lease, { name: 'b' }));
    const stop = instrument(root, otel);
    await settle(root.start(), 100); // a leads at 1_000_000
    lease.expire(new Error('renewal failed')); // at 1_000_100: b leads
    await clock.tickAsync(100);
    expect(a.isLeader).to.equal(false);
    await settle(root.stop(), 0); // at 1_000_200: b stops first and lets go, a leads until its own stop
    const leaderEvents = (span: ReadableSpan) =>
      span.events.filter((e) => e.name === 'leader').map((e) => [ms(e.time), e.attributes]);
    const leaseSpans = (name: string) => otel.spans().filter((s) => s.name === `lease ${name}`);
    const jobs = { 'rxmode.lease.name': 'jobs' };
    expect(leaseSpans('a').map(leaderEvents)).to.deep.equal([
      [[1_000_000, { 'rxmode.leader': true, ...jobs, 'rxmode.lease.token': '1' }]],
      [[1_000_100, { 'rxmode.leader': false, ...jobs, 'rxmode.leader.reason': 'renewal failed' }]],
      [[1_000_200, { 'rxmode.leader': true, ...jobs, 'rxmode.lease.token': '3' }]],
    ]);
    expect(leaseSpans('b').map(leaderEvents)).to.deep.equal([
      [[1_000_100, { 'rxmode.leader': true, ...jobs, 'rxmode.lease.token': '2' }]],
    ]);
    for (const span of [...leaseSpans('a'), ...leaseSpans('b')]) {
      expect(duration(span)).to.equal(0);
      expect(attrs(span)['rxmode.service.state']).to.equal('running');
    }
    // app was running: nothing of it was open, except its stop span for a's last term
    expect([...leaseSpans('a'), ...leaseSpans('b')].map(parentOf)).to.deep.equal([
      undefined,
      undefined,
      idOf(otel.span('stop app')),
      undefined,
    ]);
    expect(attrs(leaseSpans('b')[0]!)['rxmode.service.path']).to.equal('app/b');
    // the terms given up during the stops: the events are on the stop spans
    expect(leaderEvents(otel.span('stop b'))).to.deep.equal([
      [1_000_200, { 'rxmode.leader': false, ...jobs }],
    ]);
    expect(leaderEvents(otel.span('stop a'))).to.deep.equal([
      [1_000_200, { 'rxmode.leader': false, ...jobs }],
    ]);
    stop();
  });

  it('fails the stop span when a stop hook throws, and when the stop budget runs out', async () => {
    const failing = new Node('app', { onStop: new Error('flush failed') });
    const stopFailing = instrument(failing, otel);
    await failing.start();
    await failing.stop().catch(() => {});
    expect(otel.span('stop app').status).to.deep.equal({
      code: SpanStatusCode.ERROR,
      message: 'onStop failed: flush failed',
    });
    expect(otel.span('hook onStop').status.code).to.equal(SpanStatusCode.ERROR);
    stopFailing();

    const stuck = new Node('slow', { onStop: 10_000 }, { stopTimeout: 100 });
    const stopStuck = instrument(stuck, otel);
    await stuck.start();
    await settle(
      stuck.stop().catch(() => {}),
      200,
    );
    const span = otel.span('stop slow');
    expect(span.status).to.deep.equal({ code: SpanStatusCode.ERROR, message: 'stop timed out' });
    expect(span.events.map((e) => [e.name, e.attributes?.['rxmode.stop.stuck']])).to.deep.equal([
      ['stop-timeout', ['slow onStop (100 ms)']],
    ]);
    expect(duration(span)).to.equal(100);
    stopStuck();
    await clock.tickAsync(10_000);
  });

  it('traces children added at runtime, inside the trace of the start they joined', async () => {
    const root = new Node('app', { onStart: 10 });
    const stop = instrument(root, otel);
    const starting = root.start();
    const late = new Service({ name: 'late' });
    late.addDependency(new Service({ name: 'grandchild' }));
    root.addDependency(late);
    await settle(starting);
    const extra = await root.addRuntimeDependency(new Service({ name: 'extra' }));
    expect(parentOf(otel.span('start late'))).to.equal(idOf(otel.span('start app')));
    expect(parentOf(otel.span('start grandchild'))).to.equal(idOf(otel.span('start late')));
    expect(otel.span('start extra').attributes['rxmode.service.path']).to.equal('app/extra');
    await root.removeDependency(extra);
    expect(otel.span('stop extra').attributes['rxmode.stop.reason']).to.equal('parent');
    await extra.start(); // no longer in the tree: not traced
    expect(otel.spans().filter((s) => s.name === 'start extra')).to.have.length(1);
    await extra.stop();
    await root.stop();
    stop();
  });

  it('opens the root span under the active context', async () => {
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    try {
      const root = new Service({ name: 'app' });
      const stop = instrument(root, otel);
      await otel.tracer.startActiveSpan('boot', async (boot) => {
        await root.start();
        boot.end();
      });
      expect(parentOf(otel.span('start app'))).to.equal(idOf(otel.span('boot')));
      expect(otel.span('start app').spanContext().traceId).to.equal(otel.span('boot').spanContext().traceId);
      await root.stop();
      stop();
    } finally {
      context.disable();
    }
  });

  it('stops tracing at the teardown and ends the spans still open', async () => {
    const root = new Node('app', { onStart: 1000 });
    const stop = instrument(root, otel);
    const starting = root.start();
    await clock.tickAsync(400);
    stop();
    stop(); // idempotent
    expect(otel.span('start app').attributes['rxmode.service.state']).to.equal('starting');
    expect(duration(otel.span('start app'))).to.equal(400);
    await settle(starting);
    await root.stop();
    expect(otel.spans().map((s) => s.name)).to.deep.equal(['start app']);
  });

  it('uses the global tracer and meter providers by default', async () => {
    trace.setGlobalTracerProvider(otel.tracerProvider);
    metrics.setGlobalMeterProvider(otel.meterProvider);
    try {
      const root = new Service({ name: 'app' });
      const stop = instrument(root);
      await root.start();
      await root.stop();
      stop();
      expect(otel.spans().map((s) => [s.name, s.instrumentationScope.name])).to.deep.equal([
        ['start app', 'rxmode'],
        ['stop app', 'rxmode'],
      ]);
      expect((await otel.metrics()).has('rxmode.service.start.duration')).to.equal(true);
    } finally {
      trace.disable();
      metrics.disable();
    }
  });

  it('logs its own failures on the root logger and never disturbs the tree', async () => {
    const error = sinon.spy();
    const logger = { debug() {}, info() {}, warn() {}, error };
    const root = new Service({ name: 'app', logger });
    const broken = {
      startSpan() {
        throw new Error('tracer broken');
      },
    } as unknown as Tracer;
    const stop = instrument(root, { tracer: broken, meter: otel.meter });
    await root.start();
    await root.stop();
    expect(root.state).to.equal('stopped');
    expect(error.callCount).to.equal(2); // starting and stopping each failed to open a span
    expect(error.firstCall.args[0]).to.deep.include({ service: 'app' });
    expect((error.firstCall.args[0] as { err: Error }).err.message).to.equal('tracer broken');
    expect(error.firstCall.args[1]).to.equal('monitoring failed on state');
    const durations = (await otel.metrics()).get('rxmode.service.start.duration');
    expect(durations?.dataPoints).to.have.length(1); // the instruments still saw every event
    stop();
  });

  it('rejects what is not a service, a tracer or a meter with a TypeError', () => {
    expect(() => instrument({} as Service)).to.throw(TypeError, /root must be a Service/);
    expect(() => instrument(new Service(), { tracer: {} as never })).to.throw(TypeError, /tracer must be/);
    expect(() => instrument(new Service(), { meter: 'm' as never })).to.throw(
      TypeError,
      /meter must be.*"m"/,
    );
  });
});
