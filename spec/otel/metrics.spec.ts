// Specs for the instruments of rxmode/otel (API.md section 11), read back from the real
// OpenTelemetry metrics SDK: the state gauge, the restarts counter, the duration histograms and the
// leadership of LeaderServices (section 13).
import type { HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { expect } from 'chai';
import sinon from 'sinon';
import { LeaderService, SERVICE_STATES, Service, type ServiceState } from '../../lib/index.js';
import { instrument } from '../../lib/otel/index.js';
import { createMemoryLease } from '../../lib/testing/index.js';
import { points, sdk } from './sdk.js';

/** A service whose onStart and onStop take `ms` each on the fake clock. */
class Timed extends Service {
  constructor(
    name: string,
    readonly startMs: number,
    readonly stopMs: number,
  ) {
    super({ name });
  }
  protected override async onStart(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, this.startMs));
  }
  protected override async onStop(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, this.stopMs));
  }
}

/** The gauge's values for one path, state → value. */
function stateOf(values: Map<string, unknown>, path: string): Partial<Record<ServiceState, unknown>> {
  const out: Partial<Record<ServiceState, unknown>> = {};
  for (const state of SERVICE_STATES) {
    const value = values.get(`rxmode.service.path=${path},rxmode.service.state=${state}`);
    if (value !== undefined) out[state] = value;
  }
  return out;
}

/** Only the current state at 1, the five others at 0. */
const only = (current: ServiceState) =>
  Object.fromEntries(SERVICE_STATES.map((state) => [state, state === current ? 1 : 0]));

describe('instrument() metrics', () => {
  let clock: sinon.SinonFakeTimers;
  let otel: ReturnType<typeof sdk>;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 5_000 });
    otel = sdk();
  });
  afterEach(async () => {
    clock.restore();
    await otel.shutdown();
  });

  it('reports 1 for the current state of every service and 0 for the others', async () => {
    const root = new Service({ name: 'app' });
    root.addDependency(new Service({ name: 'db' }));
    const stop = instrument(root, otel);
    let gauge = points((await otel.metrics()).get('rxmode.service.state'));
    expect(gauge.size).to.equal(12);
    expect(stateOf(gauge, 'app')).to.deep.equal(only('init'));
    await root.start();
    gauge = points((await otel.metrics()).get('rxmode.service.state'));
    expect(stateOf(gauge, 'app')).to.deep.equal(only('running'));
    expect(stateOf(gauge, 'app/db')).to.deep.equal(only('running'));
    await root.stop();
    gauge = points((await otel.metrics()).get('rxmode.service.state'));
    expect(stateOf(gauge, 'app/db')).to.deep.equal(only('stopped'));
    stop();
  });

  it('follows children added at runtime and reports removed ones at 0', async () => {
    const root = new Service({ name: 'app' });
    const stop = instrument(root, otel);
    await root.start();
    const cache = await root.addRuntimeDependency(new Service({ name: 'cache' }));
    let gauge = points((await otel.metrics()).get('rxmode.service.state'));
    expect(stateOf(gauge, 'app/cache')).to.deep.equal(only('running'));
    await root.removeDependency(cache);
    gauge = points((await otel.metrics()).get('rxmode.service.state'));
    expect(stateOf(gauge, 'app/cache')).to.deep.equal(Object.fromEntries(SERVICE_STATES.map((s) => [s, 0])));
    await root.stop();
    stop();
  });

  it('counts restarts per service, every start after the first', async () => {
    const root = new Service({ name: 'app' });
    const db = root.addDependency(new Service({ name: 'db' }));
    const stop = instrument(root, otel);
    await root.start();
    expect((await otel.metrics()).get('rxmode.service.restarts')).to.equal(undefined);
    await root.restart();
    await db.restart();
    const counter = points((await otel.metrics()).get('rxmode.service.restarts'));
    expect(Object.fromEntries(counter)).to.deep.equal({
      'rxmode.service.path=app': 1,
      'rxmode.service.path=app/db': 2,
    });
    expect(db.restartCount).to.equal(2);
    await root.stop();
    stop();
  });

  it('records start and stop durations in seconds, crash teardowns apart', async () => {
    const root = new Timed('app', 250, 1500);
    const stop = instrument(root, otel);
    const starting = root.start();
    await clock.tickAsync(250);
    await starting;
    const stopping = root.stop();
    await clock.tickAsync(1500);
    await stopping;
    const starting2 = root.start();
    await clock.tickAsync(250);
    await starting2;
    root.crash(new Error('boom'));
    await clock.tickAsync(1500);
    await root.waitUntilStopped();
    const all = await otel.metrics();
    const start = all.get('rxmode.service.start.duration') as HistogramMetricData;
    const stopDuration = all.get('rxmode.service.stop.duration') as HistogramMetricData;
    expect(start.descriptor.unit).to.equal('s');
    expect(start.dataPoints.map((p) => [p.attributes, p.value.count, p.value.sum])).to.deep.equal([
      [{ 'rxmode.service.path': 'app' }, 2, 0.5],
    ]);
    expect(stopDuration.dataPoints.map((p) => [p.attributes, p.value.count, p.value.sum])).to.deep.equal([
      [{ 'rxmode.service.path': 'app', 'rxmode.service.state': 'stopped' }, 1, 1.5],
      [{ 'rxmode.service.path': 'app', 'rxmode.service.state': 'crashed' }, 1, 1.5],
    ]);
    const buckets = start.dataPoints[0]!.value.buckets;
    expect(buckets.boundaries).to.include.members([0.1, 0.25, 0.5, 1, 60]);
    expect(buckets.counts[buckets.boundaries.indexOf(0.25)]).to.equal(2); // 0.25 falls in (0.1, 0.25]
    stop();
  });

  it('reports 1 for the LeaderService that leads, 0 for the ones that follow, and counts their terms', async () => {
    const lease = createMemoryLease({ name: 'jobs' });
    const root = new Service({ name: 'app' });
    root.addDependency(new LeaderService(lease, { name: 'a' }));
    const b = root.addDependency(new LeaderService(lease, { name: 'b' }));
    const stop = instrument(root, otel);
    const leadership = async () => {
      const all = await otel.metrics();
      return [
        Object.fromEntries(points(all.get('rxmode.leader'))),
        Object.fromEntries(points(all.get('rxmode.leader.terms'))),
      ];
    };
    const a$ = 'rxmode.lease.name=jobs,rxmode.service.path=app/a';
    const b$ = 'rxmode.lease.name=jobs,rxmode.service.path=app/b';
    expect(await leadership()).to.deep.equal([
      { [a$]: 0, [b$]: 0 },
      { [a$]: 0, [b$]: 0 },
    ]);
    const all = await otel.metrics();
    expect(all.get('rxmode.leader')?.descriptor.unit).to.equal('1');
    expect(all.get('rxmode.leader.terms')?.descriptor.unit).to.equal('{term}');
    await root.start();
    await clock.tickAsync(0);
    expect(await leadership()).to.deep.equal([
      { [a$]: 1, [b$]: 0 },
      { [a$]: 1, [b$]: 0 },
    ]);
    lease.expire(new Error('renewal failed'));
    await clock.tickAsync(0);
    lease.expire();
    await clock.tickAsync(0);
    expect(await leadership()).to.deep.equal([
      { [a$]: 1, [b$]: 0 },
      { [a$]: 2, [b$]: 1 },
    ]);
    await root.removeDependency(b); // reported at 0 once more, then dropped
    expect((await leadership())[0]).to.deep.equal({ [a$]: 1, [b$]: 0 });
    await root.stop();
    // the SDK keeps exporting the last value it saw of a series no longer observed
    expect((await leadership())[0]).to.deep.equal({ [a$]: 0, [b$]: 0 });
    stop();
  });

  it('stops observing at the teardown', async () => {
    const root = new Service({ name: 'app' });
    const stop = instrument(root, otel);
    await root.start();
    await otel.metrics();
    stop();
    stop(); // idempotent
    await root.restart();
    const all = await otel.metrics();
    // the SDK keeps the last values it saw; nothing newer reaches it
    expect(stateOf(points(all.get('rxmode.service.state')), 'app')).to.deep.equal(only('running'));
    expect(all.get('rxmode.service.restarts')).to.equal(undefined);
    const second = instrument(root, otel); // instruments are shared with a later instrumentation
    await root.stop();
    expect(stateOf(points((await otel.metrics()).get('rxmode.service.state')), 'app')).to.deep.equal(
      only('stopped'),
    );
    second();
  });
});
