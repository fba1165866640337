/**
 * `/events` on the Worker's probe server, read with a real HTTP client and parsed as a browser's
 * EventSource would: the snapshot on connect (with the `after` edges), one lifecycle event per
 * `events$` item, errors as data, the end of every stream when the Worker stops, and no subscription
 * left behind.
 */
import { expect } from 'chai';
import type { Subject } from 'rxjs';
import { Service, type LifecycleEvent, type ServiceSnapshot } from '../../../lib/index.js';
import { HealthServer } from '../../../lib/node/index.js';
import { EventStream } from '../../../lib/node/dashboard/events-route.js';
import {
  buildTree,
  httpRequest,
  openEventStream,
  runWorker,
  until,
  type RunningWorker,
} from '../monitoring-helpers.js';

/** How many subscribers the root's `events$` has (it is a Subject). */
const observers = (subject: unknown): number => (subject as Subject<unknown>).observers.length;

describe('Worker probe server: /events', () => {
  let running: RunningWorker | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it('sends one snapshot event with toJSON() on connect, as text/event-stream', async () => {
    const { worker } = buildTree();
    running = await runWorker(worker);
    const stream = await openEventStream(running.port);
    expect(stream.status).to.equal(200);
    expect(stream.headers['content-type']).to.equal('text/event-stream; charset=utf-8');
    expect(stream.headers['cache-control']).to.equal('no-store');
    const first = await stream.waitFor(() => true);
    expect(first.event).to.equal('snapshot');
    expect(JSON.parse(first.data)).to.deep.equal(JSON.parse(JSON.stringify(worker.toJSON())));
    const snapshot = JSON.parse(first.data) as ServiceSnapshot;
    expect(snapshot.children.map((c) => `${c.path}:${c.state}`)).to.deep.equal([
      'Worker/Database:running',
      'Worker/Api:running',
      'Worker/Consumers:running',
    ]);
    expect(stream.retry).to.equal(2000);
    stream.close();
  });

  it("carries each child's prerequisites (after, their ids) in the snapshot and in /state", async () => {
    const { worker, database, api } = buildTree();
    const search = worker.addDependency(new Service({ name: 'Search' }), { after: [database, api] });
    running = await runWorker(worker);
    const stream = await openEventStream(running.port);
    const first = await stream.waitFor(() => true);
    stream.close();
    const state = await httpRequest(running.port, '/state');
    for (const data of [first.data, state.body]) {
      const children = (JSON.parse(data) as ServiceSnapshot).children;
      expect(children.find((c) => c.id === search.id)?.after).to.deep.equal([database.id, api.id]);
      expect(children.find((c) => c.id === database.id)).not.to.have.property('after');
    }
  });

  it('then sends one lifecycle event per events$ item, in order, with errors as name, message and stack', async () => {
    const { worker, consumer } = buildTree({}, '50ms');
    running = await runWorker(worker);
    const stream = await openEventStream(running.port);
    await stream.waitFor((m) => m.event === 'snapshot');
    const seen: LifecycleEvent[] = [];
    const local = worker.events$.subscribe((event) => seen.push(event));
    const error = new TypeError('poisoned job');
    consumer.crash(error);
    await until(() => (consumer.state === 'running' && consumer.restartCount === 1) || undefined);
    local.unsubscribe();
    await stream.waitFor(
      (m) =>
        m.event === 'lifecycle' &&
        (JSON.parse(m.data) as LifecycleEvent).type === 'state' &&
        m.data.includes('"to":"running"'),
    );
    const received = stream.messages
      .filter((m) => m.event === 'lifecycle')
      .map((m) => JSON.parse(m.data) as LifecycleEvent);
    expect(stream.messages.filter((m) => m.event === 'snapshot')).to.have.length(1);
    expect(received.map((e) => [e.type, e.service.path, e.type === 'state' ? e.to : ''])).to.deep.equal(
      seen.map((e) => [e.type, e.service.path, e.type === 'state' ? e.to : '']),
    );
    expect(received.map((e) => e.type)).to.include.members(['state', 'crash', 'supervisor']);
    const crash = received.find((e) => e.type === 'crash') as Extract<LifecycleEvent, { type: 'crash' }>;
    expect(crash.service.path).to.equal('Worker/Consumers/Consumer');
    expect(crash.error).to.deep.include({ name: 'TypeError', message: 'poisoned job', stack: error.stack });
    const crashed = received.find((e) => e.type === 'state' && e.to === 'crashed') as Extract<
      LifecycleEvent,
      { type: 'state' }
    >;
    expect(crashed.reason).to.deep.equal({
      type: 'crash',
      error: { name: 'TypeError', message: 'poisoned job', stack: error.stack },
    });
    stream.close();
  });

  it('ends every stream when the Worker stops, after the last stop event', async () => {
    const { worker } = buildTree();
    running = await runWorker(worker);
    const streams = await Promise.all([openEventStream(running.port), openEventStream(running.port)]);
    await Promise.all(streams.map((s) => s.waitFor((m) => m.event === 'snapshot')));
    expect(await running.stop()).to.equal(0);
    running = undefined;
    await Promise.all(streams.map((s) => s.ended));
    for (const stream of streams) {
      const last = JSON.parse(stream.messages.at(-1)!.data) as LifecycleEvent;
      expect(last).to.deep.include({ type: 'state', to: 'stopped' });
      expect(last.service.path).to.equal('Worker');
    }
  });

  it('unsubscribes a client that disconnects: no subscription leaks after many connections', async () => {
    const { worker } = buildTree();
    running = await runWorker(worker);
    const before = observers(worker.events$);
    for (let round = 0; round < 3; round++) {
      const streams = await Promise.all(Array.from({ length: 10 }, () => openEventStream(running!.port)));
      await Promise.all(streams.map((s) => s.waitFor((m) => m.event === 'snapshot')));
      expect(observers(worker.events$)).to.equal(before + 10);
      streams.forEach((s) => s.close());
      await until(
        () => (observers(worker.events$) === before ? true : undefined),
        2000,
        'subscriptions released',
      );
    }
  });

  it('answers HEAD without a stream', async () => {
    const { worker } = buildTree();
    running = await runWorker(worker);
    const head = await httpRequest(running.port, '/events', { method: 'HEAD' });
    expect(head.status).to.equal(200);
    expect(head.headers['content-type']).to.equal('text/event-stream; charset=utf-8');
    expect(head.body).to.equal('');
  });
});

describe('EventStream', () => {
  it('answers 503 until it is opened and after it is closed, and ends the streams it served', async () => {
    const server = new HealthServer({ port: 0, host: '127.0.0.1' });
    const root = new Service({ name: 'App' });
    const events = new EventStream(root);
    server.route('/events', events.handle);
    const { port } = await server.listen();
    try {
      expect(await httpRequest(port, '/events')).to.deep.include({
        status: 503,
        body: 'the worker is not running: no events to stream\n',
      });
      const close = events.open();
      const stream = await openEventStream(port);
      await stream.waitFor((m) => m.event === 'snapshot');
      expect(events.clientCount).to.equal(1);
      close();
      await stream.ended;
      expect(events.clientCount).to.equal(0);
      expect((await httpRequest(port, '/events')).status).to.equal(503);
    } finally {
      await server.close();
    }
  });
});
