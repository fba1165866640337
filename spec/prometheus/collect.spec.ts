// Specs for rxmode/prometheus (API.md sections 11 and 13): the metrics of a tree read back from
// prom-client's text exposition, runtime children, supervisor decisions, leadership of LeaderServices,
// teardown, and a scrape over real HTTP.
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Registry, register } from 'prom-client';
import sinon from 'sinon';
import { LeaderService, SERVICE_STATES, Service, type ServiceState } from '../../lib/index.js';
import { collectMetrics } from '../../lib/prometheus/index.js';
import { createMemoryLease, createVirtualClock } from '../../lib/testing/index.js';
import { MiniSupervisor, Node } from '../otel/fixtures.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format (samples only; comments checked separately). */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key!] = raw!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample with this name and these labels (undefined when absent). */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

/** State → gauge value for one service. */
function states(samples: Sample[], service: string, prefix = 'rxmode_') {
  return Object.fromEntries(
    SERVICE_STATES.map((state) => [state, value(samples, `${prefix}service_state`, { service, state })]),
  );
}
const only = (current: ServiceState) =>
  Object.fromEntries(SERVICE_STATES.map((state) => [state, state === current ? 1 : 0]));

describe('collectMetrics()', () => {
  let registry: Registry;
  const scrape = async (): Promise<Sample[]> => parse(await registry.metrics());
  beforeEach(() => {
    registry = new Registry();
  });

  it('exposes 1 for the current state of every service and 0 for the others', async () => {
    const root = new Service({ name: 'app' });
    root.addDependency(new Service({ name: 'db' }));
    const stop = collectMetrics(root, { registry });
    const text = await registry.metrics();
    expect(text).to.include('# TYPE rxmode_service_state gauge');
    expect(text).to.include('# HELP rxmode_service_state ');
    expect(states(parse(text), 'app')).to.deep.equal(only('init'));
    await root.start();
    expect(states(await scrape(), 'app/db')).to.deep.equal(only('running'));
    await root.stop();
    expect(states(await scrape(), 'app')).to.deep.equal(only('stopped'));
    expect(states(await scrape(), 'app/db')).to.deep.equal(only('stopped'));
    stop();
  });

  it('counts restarts per service from 0', async () => {
    const root = new Service({ name: 'app' });
    const db = root.addDependency(new Service({ name: 'db' }));
    const stop = collectMetrics(root, { registry });
    expect(value(await scrape(), 'rxmode_service_restarts_total', { service: 'app/db' })).to.equal(0);
    await root.start();
    await db.restart();
    await root.restart();
    const samples = await scrape();
    expect(value(samples, 'rxmode_service_restarts_total', { service: 'app' })).to.equal(1);
    expect(value(samples, 'rxmode_service_restarts_total', { service: 'app/db' })).to.equal(2);
    expect((await registry.metrics()).includes('# TYPE rxmode_service_restarts_total counter')).to.equal(
      true,
    );
    await root.stop();
    stop();
  });

  it('observes start and stop durations in seconds, crash teardowns included', async () => {
    const clock = sinon.useFakeTimers();
    try {
      const root = new Node('app', { onStart: 200, onStop: 1200 });
      const stop = collectMetrics(root, { registry });
      const settle = async (promise: Promise<unknown>, ms: number) => {
        await clock.tickAsync(ms);
        await promise;
      };
      await settle(root.start(), 200);
      await settle(root.stop(), 1200);
      await settle(root.start(), 200);
      root.crash(new Error('boom'));
      await settle(root.waitUntilStopped(), 1200);
      const samples = await scrape();
      const service = { service: 'app' };
      expect(value(samples, 'rxmode_service_start_duration_seconds_count', service)).to.equal(2);
      expect(value(samples, 'rxmode_service_start_duration_seconds_sum', service)).to.be.closeTo(0.4, 1e-9);
      expect(
        value(samples, 'rxmode_service_start_duration_seconds_bucket', { ...service, le: '0.1' }),
      ).to.equal(0);
      expect(
        value(samples, 'rxmode_service_start_duration_seconds_bucket', { ...service, le: '0.25' }),
      ).to.equal(2);
      expect(
        value(samples, 'rxmode_service_start_duration_seconds_bucket', { ...service, le: '+Inf' }),
      ).to.equal(2);
      expect(value(samples, 'rxmode_service_stop_duration_seconds_count', service)).to.equal(2);
      expect(value(samples, 'rxmode_service_stop_duration_seconds_sum', service)).to.be.closeTo(2.4, 1e-9);
      expect(value(samples, 'rxmode_service_stop_duration_seconds_bucket', { ...service, le: '1' })).to.equal(
        0,
      );
      expect(
        value(samples, 'rxmode_service_stop_duration_seconds_bucket', { ...service, le: '2.5' }),
      ).to.equal(2);
      expect(states(samples, 'app')).to.deep.equal(only('crashed'));
      stop();
    } finally {
      clock.restore();
    }
  });

  it('counts supervisor decisions per supervisor path and decision', async () => {
    const root = new Service({ name: 'app' });
    const sup = root.addDependency(new MiniSupervisor({ name: 'workers' }));
    const worker = sup.addDependency(new Service({ name: 'w1' }));
    const stop = collectMetrics(root, { registry });
    await root.start();
    worker.crash(new Error('boom'));
    await worker.waitUntilStopped();
    await worker.waitFor('running');
    worker.crash(new Error('boom again'));
    await worker.waitUntilStopped();
    await worker.waitFor('running');
    sup.announce(worker, 'escalate');
    const samples = await scrape();
    const decisions = samples.filter((s) => s.name === 'rxmode_supervisor_decisions_total');
    expect(decisions.map((s) => [s.labels, s.value])).to.deep.equal([
      [{ supervisor: 'app/workers', decision: 'restart' }, 2],
      [{ supervisor: 'app/workers', decision: 'escalate' }, 1],
    ]);
    expect(value(samples, 'rxmode_service_restarts_total', { service: 'app/workers/w1' })).to.equal(2);
    expect(states(samples, 'app/workers/w1')).to.deep.equal(only('running'));
    await root.stop();
    stop();
  });

  describe('leadership', () => {
    /** `leader` and `leader_terms_total` of one LeaderService: [gauge, terms]. */
    const leadership = (samples: Sample[], service: string, lease = 'jobs') => [
      value(samples, 'rxmode_leader', { service, lease }),
      value(samples, 'rxmode_leader_terms_total', { service, lease }),
    ];

    it('shows which replica leads, 1 or 0 per LeaderService, and counts the terms each began', async () => {
      const clock = createVirtualClock();
      const lease = createMemoryLease({ name: 'jobs' });
      const root = new Service({ name: 'app', scheduler: clock.scheduler });
      const a = root.addDependency(new LeaderService(lease, { name: 'a', scheduler: clock.scheduler }));
      a.addDependency(new Service({ name: 'job', scheduler: clock.scheduler }));
      root.addDependency(new LeaderService(lease, { name: 'b', scheduler: clock.scheduler }));
      const stop = collectMetrics(root, { registry });
      const text = await registry.metrics();
      expect(text).to.include('# TYPE rxmode_leader gauge');
      expect(text).to.include('# TYPE rxmode_leader_terms_total counter');
      let samples = parse(text);
      expect(leadership(samples, 'app/a')).to.deep.equal([0, 0]);
      expect(leadership(samples, 'app/b')).to.deep.equal([0, 0]);
      // only LeaderServices have the series
      expect(
        samples.filter((s) => s.name.startsWith('rxmode_leader')).map((s) => s.labels.service),
      ).to.have.members(['app/a', 'app/a', 'app/b', 'app/b']);
      await root.start();
      await clock.flush();
      samples = await scrape();
      expect(leadership(samples, 'app/a')).to.deep.equal([1, 1]);
      expect(leadership(samples, 'app/b')).to.deep.equal([0, 0]);
      lease.expire(new Error('renewal failed')); // a loses its term, b takes over
      await clock.flush();
      samples = await scrape();
      expect(leadership(samples, 'app/a')).to.deep.equal([0, 1]);
      expect(leadership(samples, 'app/b')).to.deep.equal([1, 1]);
      lease.expire(); // and back to a
      await clock.flush();
      samples = await scrape();
      expect(leadership(samples, 'app/a')).to.deep.equal([1, 2]);
      expect(leadership(samples, 'app/b')).to.deep.equal([0, 1]);
      await root.stop();
      expect(leadership(await scrape(), 'app/a')).to.deep.equal([0, 2]);
      stop();
      expect(registry.getMetricsAsArray()).to.have.length(0);
    });

    it('follows a LeaderService added at runtime and drops it when removed', async () => {
      const clock = createVirtualClock();
      const root = new Service({ name: 'app', scheduler: clock.scheduler });
      const stop = collectMetrics(root, { registry });
      await root.start();
      const leader = new LeaderService(createMemoryLease({ name: 'relay' }), {
        name: 'outbox',
        scheduler: clock.scheduler,
      });
      await root.addRuntimeDependency(leader);
      await clock.flush();
      expect(leadership(await scrape(), 'app/outbox', 'relay')).to.deep.equal([1, 1]);
      await root.removeDependency(leader);
      const samples = await scrape();
      expect(samples.filter((s) => s.name.startsWith('rxmode_leader'))).to.deep.equal([]);
      await root.stop();
      stop();
    });
  });

  it('adds series for children added at runtime and removes those of removed ones', async () => {
    const root = new Service({ name: 'app' });
    const stop = collectMetrics(root, { registry });
    await root.start();
    const cache = new Service({ name: 'cache' });
    cache.addDependency(new Service({ name: 'shard' }));
    await root.addRuntimeDependency(cache);
    let samples = await scrape();
    expect(states(samples, 'app/cache/shard')).to.deep.equal(only('running'));
    expect(value(samples, 'rxmode_service_start_duration_seconds_count', { service: 'app/cache' })).to.equal(
      1,
    );
    await root.removeDependency(cache);
    samples = await scrape();
    expect(samples.filter((s) => s.labels.service?.startsWith('app/cache'))).to.deep.equal([]);
    expect(states(samples, 'app')).to.deep.equal(only('running'));
    await root.stop();
    stop();
  });

  it('removes its metrics from the registry at the teardown, and nothing moves after it', async () => {
    const root = new Service({ name: 'app' });
    const stop = collectMetrics(root, { registry });
    expect(registry.getMetricsAsArray()).to.have.length(7);
    stop();
    stop(); // idempotent
    expect(registry.getMetricsAsArray()).to.have.length(0);
    await root.start();
    await root.stop();
    expect((await registry.metrics()).trim()).to.equal('');
  });

  it('shares the metrics between trees in one registry until the last teardown', async () => {
    const a = new Service({ name: 'a' });
    const b = new Service({ name: 'b' });
    const stopA = collectMetrics(a, { registry });
    const stopB = collectMetrics(b, { registry });
    await b.start();
    stopA();
    await a.start(); // no longer followed
    const samples = await scrape();
    expect(states(samples, 'a')).to.deep.equal(Object.fromEntries(SERVICE_STATES.map((s) => [s, undefined])));
    expect(states(samples, 'b')).to.deep.equal(only('running'));
    stopB();
    expect(registry.getMetricsAsArray()).to.have.length(0);
    await a.stop();
    await b.stop();
  });

  it('takes a prefix, and the global register by default', async () => {
    const root = new Service({ name: 'app' });
    const stop = collectMetrics(root, { registry, prefix: 'shop_' });
    expect(states(await scrape(), 'app', 'shop_')).to.deep.equal(only('init'));
    stop();
    const stopGlobal = collectMetrics(root);
    try {
      expect(register.getSingleMetric('rxmode_service_state')).not.to.equal(undefined);
    } finally {
      stopGlobal();
    }
    expect(register.getSingleMetric('rxmode_service_state')).to.equal(undefined);
  });

  it('leaves the registry as it was when a name is taken by another metric', () => {
    new Counter({ name: 'rxmode_service_start_duration_seconds', help: 'not ours', registers: [registry] });
    expect(() => collectMetrics(new Service(), { registry })).to.throw(/already been registered/);
    expect(registry.getMetricsAsArray().map((m) => m.name)).to.deep.equal([
      'rxmode_service_start_duration_seconds',
    ]);
  });

  it('rejects a bad root, registry or prefix with a TypeError naming it', () => {
    expect(() => collectMetrics(null as unknown as Service)).to.throw(TypeError, /root must be a Service/);
    expect(() => collectMetrics(new Service(), { registry: {} as Registry })).to.throw(
      TypeError,
      /registry must be/,
    );
    expect(() => collectMetrics(new Service(), { registry, prefix: 'my-app' })).to.throw(
      TypeError,
      /prefix.*"my-app"/,
    );
  });

  describe('over HTTP', () => {
    let server: Server;
    afterEach(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('is scraped from a real server in the text exposition format', async () => {
      const root = new Service({ name: 'app' });
      root.addDependency(new Service({ name: 'db' }));
      const stop = collectMetrics(root, { registry });
      server = createServer((_req, res) => {
        registry.metrics().then(
          (body) => {
            res.writeHead(200, { 'content-type': registry.contentType });
            res.end(body);
          },
          () => {
            res.writeHead(500);
            res.end();
          },
        );
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      await root.start();
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
      const samples = parse(await response.text());
      expect(states(samples, 'app')).to.deep.equal(only('running'));
      expect(states(samples, 'app/db')).to.deep.equal(only('running'));
      expect(value(samples, 'rxmode_service_start_duration_seconds_count', { service: 'app/db' })).to.equal(
        1,
      );
      await root.stop();
      stop();
    });
  });
});
