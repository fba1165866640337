// Specs for bindPageLifecycle (lib/page-lifecycle.ts) in Node against a fake page and under jsdom:
// pagehide stops the tree, listeners go away with the tree, pauseWhenHidden skips timer and cron
// ticks while hidden or frozen. The same behaviour in a real Chromium is in
// spec/browser/page-lifecycle.spec.ts.
import { expect } from 'chai';
import { JSDOM } from 'jsdom';
import sinon from 'sinon';
import { Service, type LifecycleEvent, type Logger, type TimerTick } from '../lib/index.js';
import { bindPageLifecycle } from '../lib/page-lifecycle.js';
import { recordEvents, useFakeClock } from './support/lifecycle.js';

/** An EventTarget that knows how many listeners are attached. */
class CountingTarget extends EventTarget {
  readonly listeners = new Set<string>();
  #ids = new WeakMap<object, number>();
  #next = 0;
  #key(type: string, listener: unknown): string {
    const fn = listener as object;
    if (!this.#ids.has(fn)) this.#ids.set(fn, ++this.#next);
    return `${type}#${this.#ids.get(fn)}`;
  }
  override addEventListener(type: string, listener: EventListenerOrEventListenerObject | null): void {
    if (listener) this.listeners.add(this.#key(type, listener));
    super.addEventListener(type, listener);
  }
  override removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null): void {
    if (listener) this.listeners.delete(this.#key(type, listener));
    super.removeEventListener(type, listener);
  }
}

/** A document that can be hidden. */
class FakeDocument extends CountingTarget {
  visibilityState: DocumentVisibilityState = 'visible';
}

/** A window and a document installed on globalThis for one test. */
class FakePage {
  readonly window = new CountingTarget();
  readonly document = new FakeDocument();
  #restore: (() => void)[] = [];

  #set(key: string, value: unknown): void {
    const g = globalThis as Record<string, unknown>;
    const before = Object.getOwnPropertyDescriptor(g, key);
    Object.defineProperty(g, key, { value, configurable: true, writable: true });
    this.#restore.push(() => (before ? Object.defineProperty(g, key, before) : delete g[key]));
  }

  /** As in a browser: globalThis is the window (its `window` is itself) and has the document. */
  install(): void {
    this.#set('window', this.window);
    this.#set('addEventListener', this.window.addEventListener.bind(this.window));
    this.#set('removeEventListener', this.window.removeEventListener.bind(this.window));
    this.#set('document', this.document);
  }
  /** As a mocha + jsdom setup: `window` and `document` on globalThis, `addEventListener` not. */
  installJsdom(window: EventTarget, document: Document): void {
    this.#set('window', window);
    this.#set('document', document);
  }
  /** As in plain Node, even when another spec left a jsdom `window` on globalThis. */
  installNothing(): void {
    for (const key of ['window', 'addEventListener', 'removeEventListener', 'document']) {
      this.#set(key, undefined);
    }
  }
  uninstall(): void {
    for (const restore of this.#restore.splice(0).reverse()) restore();
  }
  get listenerCount(): number {
    return this.window.listeners.size + this.document.listeners.size;
  }
  pagehide(): void {
    this.window.dispatchEvent(new Event('pagehide'));
  }
  hide(): void {
    this.document.visibilityState = 'hidden';
    this.document.dispatchEvent(new Event('visibilitychange'));
  }
  show(): void {
    this.document.visibilityState = 'visible';
    this.document.dispatchEvent(new Event('visibilitychange'));
  }
  freeze(): void {
    this.document.dispatchEvent(new Event('freeze'));
  }
  resume(): void {
    this.document.dispatchEvent(new Event('resume'));
  }
}

/** The timer names of the `timer-overlap` events among `events`. */
function overlaps(events: LifecycleEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'timer-overlap' ? [e.timer] : []));
}

/** A root with one child that runs a 1s timer and records its ticks. */
function tickingTree(): { root: Service; ticks: TimerTick[] } {
  const ticks: TimerTick[] = [];
  const root = new Service({ name: 'app' });
  const child = new Service({ name: 'clock' });
  child.addTimer('1s', (tick) => void ticks.push(tick), { name: 'tick' });
  root.addDependency(child);
  return { root, ticks };
}

describe('bindPageLifecycle', () => {
  let page: FakePage;
  const services: Service<any>[] = [];
  beforeEach(() => {
    page = new FakePage();
    page.install();
  });
  afterEach(async () => {
    await Promise.all(services.splice(0).map((s) => s.stop().catch(() => {})));
    page.uninstall();
  });

  describe('pagehide', () => {
    it('stops the tree with the reason { type: signal, signal: pagehide }', async () => {
      const root = new Service({ name: 'app' });
      const child = root.addDependency(new Service({ name: 'child' }));
      services.push(root);
      bindPageLifecycle(root);
      await root.start();
      const log = recordEvents(root);
      page.pagehide();
      expect(root.shouldStop, 'the stop begins inside the listener').to.equal(true);
      await root.waitUntilStopped();
      expect(root.state).to.equal('stopped');
      expect(child.state).to.equal('stopped');
      const stopping = log.ofType('state').find((e) => e.service.path === 'app' && e.to === 'stopping');
      expect(stopping?.reason).to.deep.equal({ type: 'signal', signal: 'pagehide' });
      log.stop();
    });

    it('removes its listeners on pagehide, so a restarted tree is not stopped by the next one', async () => {
      const root = new Service({ name: 'app' });
      services.push(root);
      bindPageLifecycle(root);
      await root.start();
      page.pagehide();
      await root.waitUntilStopped();
      expect(page.listenerCount).to.equal(0);
      await root.start();
      page.pagehide();
      expect(root.state).to.equal('running');
    });

    it('logs a stop that fails on the root logger', async () => {
      const logger: Logger = { debug: sinon.spy(), info: sinon.spy(), warn: sinon.spy(), error: sinon.spy() };
      class Failing extends Service {
        protected override onStop(): void {
          throw new Error('onStop failed');
        }
      }
      const root = new Failing({ name: 'app', logger });
      services.push(root);
      bindPageLifecycle(root);
      await root.start();
      page.pagehide();
      await root.waitUntilStopped();
      await new Promise((resolve) => setImmediate(resolve));
      const error = logger.error as sinon.SinonSpy;
      expect(error.calledOnce, 'logger.error called once').to.equal(true);
      expect(error.firstCall.args[1]).to.equal('stop on pagehide failed');
      expect(error.firstCall.args[0]).to.include({ service: 'app' });
    });
  });

  describe('listeners', () => {
    it('are removed when the tree is stopped by something else', async () => {
      const root = new Service({ name: 'app' });
      services.push(root);
      bindPageLifecycle(root, { pauseWhenHidden: true });
      await root.start();
      expect(page.listenerCount).to.equal(4);
      await root.stop();
      expect(page.listenerCount).to.equal(0);
      await root.start();
      page.pagehide();
      expect(root.state).to.equal('running');
    });

    it('are removed when the tree crashes', async () => {
      const root = new Service({ name: 'app' });
      services.push(root);
      bindPageLifecycle(root);
      await root.start();
      root.crash(new Error('boom'));
      expect(page.listenerCount).to.equal(0);
      await root.waitUntilStopped();
      expect(root.state).to.equal('crashed');
    });

    it('are removed by the returned function, which can be called twice', async () => {
      const root = new Service({ name: 'app' });
      services.push(root);
      const unbind = bindPageLifecycle(root, { pauseWhenHidden: true });
      await root.start();
      unbind();
      unbind();
      expect(page.listenerCount).to.equal(0);
      page.pagehide();
      expect(root.state).to.equal('running');
    });

    it('stay while a bound tree that was stopped before binding is started again', async () => {
      const root = new Service({ name: 'app' });
      services.push(root);
      await root.start();
      await root.stop();
      bindPageLifecycle(root);
      await root.start();
      page.pagehide();
      expect(root.shouldStop).to.equal(true);
    });
  });

  describe('pauseWhenHidden', () => {
    const fake = useFakeClock();

    it('skips timer ticks while the document is hidden and counts them as overlaps', async () => {
      const { root, ticks } = tickingTree();
      services.push(root);
      const log = recordEvents(root);
      bindPageLifecycle(root, { pauseWhenHidden: true });
      await root.start();
      await fake.clock.tickAsync(2_000);
      expect(ticks.map((t) => t.index)).to.deep.equal([0, 1]);
      page.hide();
      await fake.clock.tickAsync(3_000);
      expect(ticks, 'no tick while hidden').to.have.length(2);
      expect(overlaps(log.events)).to.deep.equal(['tick', 'tick', 'tick']);
      page.show();
      await fake.clock.tickAsync(1_000);
      expect(ticks).to.have.length(3);
      expect(ticks[2]).to.include({ index: 2, overlaps: 3 });
      log.stop();
    });

    it('skips cron ticks while the document is hidden', async () => {
      const runs: number[] = [];
      const root = new Service({ name: 'app' });
      root.addCron('* * * * * *', () => void runs.push(Date.now()), { name: 'every-second' });
      services.push(root);
      const log = recordEvents(root);
      bindPageLifecycle(root, { pauseWhenHidden: true });
      await root.start();
      await fake.clock.tickAsync(2_000);
      expect(runs).to.have.length(2);
      page.hide();
      await fake.clock.tickAsync(2_000);
      expect(runs).to.have.length(2);
      expect(overlaps(log.events)).to.deep.equal(['every-second', 'every-second']);
      page.show();
      await fake.clock.tickAsync(1_000);
      expect(runs).to.have.length(3);
      log.stop();
    });

    it('pauses from freeze to resume, and stays paused after resume while hidden', async () => {
      const { root, ticks } = tickingTree();
      services.push(root);
      bindPageLifecycle(root, { pauseWhenHidden: true });
      await root.start();
      page.freeze();
      await fake.clock.tickAsync(2_000);
      expect(ticks).to.have.length(0);
      page.document.visibilityState = 'hidden';
      page.resume();
      await fake.clock.tickAsync(1_000);
      expect(ticks, 'still hidden').to.have.length(0);
      page.show();
      await fake.clock.tickAsync(1_000);
      expect(ticks).to.have.length(1);
    });

    it('pauses at once when the document is already hidden', async () => {
      const { root, ticks } = tickingTree();
      services.push(root);
      page.document.visibilityState = 'hidden';
      bindPageLifecycle(root, { pauseWhenHidden: true });
      await root.start();
      await fake.clock.tickAsync(2_000);
      expect(ticks).to.have.length(0);
    });

    it('ends the pause when unbound', async () => {
      const { root, ticks } = tickingTree();
      services.push(root);
      const unbind = bindPageLifecycle(root, { pauseWhenHidden: true });
      await root.start();
      page.hide();
      await fake.clock.tickAsync(1_000);
      unbind();
      await fake.clock.tickAsync(1_000);
      expect(ticks).to.have.length(1);
    });

    it('keeps the tree paused while another binding still holds a pause', async () => {
      const { root, ticks } = tickingTree();
      services.push(root);
      const first = bindPageLifecycle(root, { pauseWhenHidden: true });
      bindPageLifecycle(root, { pauseWhenHidden: true });
      await root.start();
      page.hide();
      first();
      await fake.clock.tickAsync(2_000);
      expect(ticks).to.have.length(0);
    });

    it('does not pause by default', async () => {
      const { root, ticks } = tickingTree();
      services.push(root);
      bindPageLifecycle(root);
      await root.start();
      page.hide();
      await fake.clock.tickAsync(2_000);
      expect(ticks).to.have.length(2);
      expect(page.listenerCount, 'only pagehide').to.equal(1);
    });
  });

  describe('under jsdom in Node (window is not globalThis)', () => {
    const fake = useFakeClock();
    let dom: JSDOM;
    beforeEach(() => {
      page.uninstall();
      dom = new JSDOM('<!doctype html><title>app</title>', { url: 'http://localhost/' });
      // as a mocha + jsdom setup does it (spec/support/angular-setup.ts): window and document on
      // globalThis, addEventListener not
      page.installJsdom(dom.window, dom.window.document);
    });
    afterEach(() => dom.window.close());

    it('stops the tree on a pagehide dispatched on window', async () => {
      const root = new Service({ name: 'app' });
      services.push(root);
      bindPageLifecycle(root);
      await root.start();
      dom.window.dispatchEvent(new dom.window.Event('pagehide'));
      expect(root.shouldStop, 'the stop begins inside the listener').to.equal(true);
      await root.waitUntilStopped();
      expect(root.state).to.equal('stopped');
      await root.start();
      dom.window.dispatchEvent(new dom.window.Event('pagehide'));
      expect(root.state, 'the listener went away with the first pagehide').to.equal('running');
    });

    it("pauses timer ticks while window's document is hidden", async () => {
      const { root, ticks } = tickingTree();
      services.push(root);
      let visibility: DocumentVisibilityState = 'visible';
      Object.defineProperty(dom.window.document, 'visibilityState', { get: () => visibility });
      bindPageLifecycle(root, { pauseWhenHidden: true });
      await root.start();
      await fake.clock.tickAsync(1_000);
      expect(ticks).to.have.length(1);
      visibility = 'hidden';
      dom.window.document.dispatchEvent(new dom.window.Event('visibilitychange'));
      await fake.clock.tickAsync(2_000);
      expect(ticks, 'no tick while hidden').to.have.length(1);
      visibility = 'visible';
      dom.window.document.dispatchEvent(new dom.window.Event('visibilitychange'));
      await fake.clock.tickAsync(1_000);
      expect(ticks).to.have.length(2);
    });
  });

  describe('without a DOM', () => {
    it('does nothing and returns a no-op', async () => {
      page.uninstall();
      page.installNothing();
      const root = new Service({ name: 'app' });
      services.push(root);
      const unbind = bindPageLifecycle(root, { pauseWhenHidden: true });
      await root.start();
      expect(() => unbind()).not.to.throw();
      expect(root.state).to.equal('running');
    });
  });

  describe('arguments', () => {
    it('throws a TypeError for a root that is not a Service', () => {
      expect(() => bindPageLifecycle({} as Service)).to.throw(TypeError, /root must be a Service/);
    });

    it('throws a TypeError naming pauseWhenHidden when it is not a boolean', () => {
      const root = new Service();
      expect(() => bindPageLifecycle(root, { pauseWhenHidden: 'yes' as unknown as boolean })).to.throw(
        TypeError,
        /pauseWhenHidden must be a boolean; received "yes"/,
      );
      expect(page.listenerCount).to.equal(0);
    });
  });
});
