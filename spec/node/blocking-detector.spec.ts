/**
 * The BlockingDetector against the real event loop: a synchronous stall is reported with its
 * length, the marked work that ran during it and its stack; a free loop is not.
 */
import { expect } from 'chai';
import { Service, SyncSignal, type LifecycleEvent } from '../../lib/index.js';
import { BlockingDetector } from '../../lib/node/index.js';
import { delay } from './helpers.js';

type Blocked = Extract<LifecycleEvent, { type: 'blocked' }>;

function spin(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // the event loop is blocked
  }
}

describe('BlockingDetector', () => {
  let app: Service;
  let detector: BlockingDetector;
  let blocked: Blocked[];
  beforeEach(() => {
    app = new Service({ name: 'App' });
    detector = app.addDependency(new BlockingDetector({ timeout: 60, interval: 10 }));
    blocked = [];
    app.events$.subscribe((event) => event.type === 'blocked' && blocked.push(event));
  });
  afterEach(() => app.stop());

  it('reports a stall longer than its timeout with its lag, the hook that ran and its stack', async function () {
    this.timeout(15_000);
    // Long enough for the watchdog to enable the debugger first: in a process that has loaded every
    // spec, that alone takes the main thread a second or more.
    class Busy extends Service {
      override onStarted(): void {
        spin(3000);
      }
    }
    app.addDependency(new Busy({ name: 'Busy' }));
    await app.start();
    await delay(30);
    expect(blocked).to.have.length(1);
    expect(blocked[0]!.service.path).to.equal('App/BlockingDetector');
    expect(blocked[0]!.lagMs).to.be.within(2900, 6000);
    expect(blocked[0]!.running).to.deep.equal(['App/Busy:onStarted']);
    expect(blocked[0]!.stack).to.match(/^ {4}at spin \(.*blocking-detector\.spec\.ts:\d+:\d+\)$/m);
    expect(blocked[0]!.stack).to.match(/^ {4}at onStarted \(.*blocking-detector\.spec\.ts:\d+:\d+\)$/m);
  });

  it('names a signal receiver that blocks by its signal and function names', async () => {
    const changed = new SyncSignal<[]>({ name: 'changed' });
    changed.connect(function reindex() {
      spin(700);
    });
    await app.start();
    changed.send(app);
    await delay(30);
    expect(blocked).to.have.length(1);
    expect(blocked[0]!.running).to.deep.equal(['signal:changed:reindex']);
    expect(blocked[0]!.stack).to.match(/^ {4}at reindex \(/m);
  });

  it('names no service that was merely waiting while the stall happened', async () => {
    const waiting = app.addDependency(new Service({ name: 'Waiting' }));
    waiting.diag.setFlag('waiting');
    waiting.addTask(() => delay(2000), { name: 'sleeper' });
    await app.start();
    spin(700);
    await delay(30);
    expect(blocked).to.have.length(1);
    expect(blocked[0]!.running).to.deep.equal([]);
    expect(blocked[0]!.stack).to.match(/^ {4}at spin \(/m);
  });

  it('stays quiet while stalls are shorter than its timeout', async () => {
    await app.start();
    spin(20);
    await delay(40);
    spin(20);
    await delay(40);
    expect(blocked).to.deep.equal([]);
  });

  it('stops sampling when it stops', async () => {
    await app.start();
    await detector.stop();
    spin(150);
    await delay(30);
    expect(blocked).to.deep.equal([]);
  });

  it('defaults to a 10 s timeout sampled every second', () => {
    const standard = new BlockingDetector();
    expect([standard.timeoutMs, standard.intervalMs]).to.deep.equal([10_000, 1000]);
    expect(new BlockingDetector({ timeout: '200ms' }).intervalMs).to.equal(50);
  });

  it('refuses a timeout or interval that is not a positive duration', () => {
    expect(() => new BlockingDetector({ timeout: 0 })).to.throw(TypeError, /timeout must be greater than 0/);
    expect(() => new BlockingDetector({ interval: 'often' as never })).to.throw(TypeError, /interval/);
    expect(() => new BlockingDetector({ watch: {} as never })).to.throw(TypeError, /watch must be a Service/);
  });
});
