// Specs for provideServices, provideComponentServices and injectService (lib/angular) under Angular
// TestBed (zoneless, jsdom): trees start with the application or the component, stop with their
// injector, child injectors get their own tree, and failures reach Angular's ErrorHandler.
import { expect } from 'chai';
import {
  ApplicationInitStatus,
  Component,
  EnvironmentInjector,
  ErrorHandler,
  InjectionToken,
  createEnvironmentInjector,
  inject,
  signal,
  type Type,
} from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Service, type LifecycleEvent } from '../../lib/index.js';
import {
  SERVICE_TREE,
  injectService,
  provideComponentServices,
  provideServices,
} from '../../lib/angular/index.js';

/** Hook calls of every Recorder, as `Name.hook`. */
let calls: string[] = [];

class Recorder extends Service {
  protected override onStart(): void {
    calls.push(`${this.name}.onStart`);
  }
  protected override onStop(): void {
    calls.push(`${this.name}.onStop`);
  }
}
class Clock extends Recorder {}
class Feed extends Recorder {}
class Poller extends Recorder {}

const GREETING = new InjectionToken<string>('greeting');
class Greeter extends Service {
  readonly greeting = inject(GREETING);
}

class FailingStart extends Service {
  protected override onStart(): void {
    throw new Error('no network');
  }
}

/** An ErrorHandler that keeps what it is given. */
class RecordingErrorHandler extends ErrorHandler {
  readonly errors: unknown[] = [];
  override handleError(error: unknown): void {
    this.errors.push(error);
  }
}

/** The reason of the first `stopping` (or `crashed`) event of `path` in `events`. */
function stopReason(events: LifecycleEvent[], path: string): unknown {
  const event = events.find(
    (e) => e.type === 'state' && e.service.path === path && (e.to === 'stopping' || e.to === 'crashed'),
  );
  return event?.type === 'state' ? event.reason : undefined;
}

async function initialized(): Promise<void> {
  await TestBed.inject(ApplicationInitStatus).donePromise;
}

describe('rxmode/angular', () => {
  beforeEach(() => {
    calls = [];
  });

  describe('provideServices()', () => {
    it('starts the services in order as children of SERVICE_TREE when the application initializes', async () => {
      TestBed.configureTestingModule({ providers: [provideServices(Clock, Feed)] });
      const tree = TestBed.inject(SERVICE_TREE);
      await initialized();
      expect(tree.state).to.equal('running');
      expect(tree.children).to.deep.equal([TestBed.inject(Clock), TestBed.inject(Feed)]);
      expect(calls).to.deep.equal(['Clock.onStart', 'Feed.onStart']);
    });

    it('lets Angular build each service, so field initializers may inject()', async () => {
      TestBed.configureTestingModule({
        providers: [{ provide: GREETING, useValue: 'hello' }, provideServices(Greeter)],
      });
      await initialized();
      const greeter = TestBed.inject(Greeter);
      expect(greeter.greeting).to.equal('hello');
      expect(greeter.state).to.equal('running');
    });

    it('leaves a service under the parent that another service gave it', async () => {
      class Database extends Recorder {}
      class Repository extends Recorder {
        readonly db = this.addDependency(inject(Database));
      }
      TestBed.configureTestingModule({ providers: [provideServices(Database, Repository)] });
      const tree = TestBed.inject(SERVICE_TREE);
      await initialized();
      const repository = TestBed.inject(Repository);
      expect(tree.children).to.deep.equal([repository]);
      expect(repository.children).to.deep.equal([TestBed.inject(Database)]);
      expect(calls).to.deep.equal(['Repository.onStart', 'Database.onStart']);
    });

    it('gathers several provideServices() calls of one injector into one tree', async () => {
      TestBed.configureTestingModule({ providers: [provideServices(Clock), provideServices(Feed)] });
      const tree = TestBed.inject(SERVICE_TREE);
      await initialized();
      expect(tree.children.map((s) => s.name)).to.deep.equal(['Clock', 'Feed']);
      expect(tree.state).to.equal('running');
    });

    it('stops the tree with the reason destroy when the injector is destroyed', async () => {
      TestBed.configureTestingModule({ providers: [provideServices(Clock, Feed)] });
      const tree = TestBed.inject(SERVICE_TREE);
      const events: LifecycleEvent[] = [];
      const subscription = tree.events$.subscribe((e) => events.push(e));
      await initialized();
      TestBed.resetTestingModule();
      await tree.waitUntilStopped();
      subscription.unsubscribe();
      expect(tree.state).to.equal('stopped');
      expect(stopReason(events, 'app')).to.deep.equal({ type: 'signal', signal: 'destroy' });
      expect(calls).to.deep.equal(['Clock.onStart', 'Feed.onStart', 'Feed.onStop', 'Clock.onStop']);
    });

    it('fails the application initialization when the tree fails to start', async () => {
      TestBed.configureTestingModule({ providers: [provideServices(FailingStart)] });
      const tree = TestBed.inject(SERVICE_TREE);
      let failure: unknown;
      await initialized().catch((error: unknown) => (failure = error));
      expect((failure as Error | undefined)?.message).to.equal('no network');
      expect(tree.state).to.equal('crashed');
    });

    it('reports a crash of the running tree to the ErrorHandler', async () => {
      TestBed.configureTestingModule({
        providers: [{ provide: ErrorHandler, useClass: RecordingErrorHandler }, provideServices(Clock)],
      });
      await initialized();
      const boom = new Error('boom');
      TestBed.inject(Clock).crash(boom);
      expect((TestBed.inject(ErrorHandler) as RecordingErrorHandler).errors).to.deep.equal([boom]);
    });

    it('gives a child environment injector its own tree, started at creation and stopped with it', async () => {
      TestBed.configureTestingModule({ providers: [provideServices(Clock)] });
      const appTree = TestBed.inject(SERVICE_TREE);
      await initialized();
      const child = createEnvironmentInjector([provideServices(Feed)], TestBed.inject(EnvironmentInjector));
      const childTree = child.get(SERVICE_TREE);
      expect(childTree).not.to.equal(appTree);
      expect([appTree.name, childTree.name]).to.deep.equal(['app', 'environment']);
      await childTree.waitFor('running', { timeout: 1_000 });
      expect(childTree.children).to.deep.equal([child.get(Feed)]);
      expect(appTree.children).to.deep.equal([TestBed.inject(Clock)]);
      expect(child.get(Clock), 'the parent tree is still reachable').to.equal(TestBed.inject(Clock));
      child.destroy();
      await childTree.waitUntilStopped();
      expect(child.get.bind(child, Feed), 'destroyed injector').to.throw();
      expect(childTree.state).to.equal('stopped');
      expect(appTree.state).to.equal('running');
    });

    it('reports a failing start in a child injector to the ErrorHandler', async () => {
      TestBed.configureTestingModule({
        providers: [{ provide: ErrorHandler, useClass: RecordingErrorHandler }],
      });
      await initialized();
      const child = createEnvironmentInjector(
        [provideServices(FailingStart)],
        TestBed.inject(EnvironmentInjector),
      );
      const tree = child.get(SERVICE_TREE);
      await tree.waitUntilStopped();
      const errors = (TestBed.inject(ErrorHandler) as RecordingErrorHandler).errors;
      // start() rejects a few promise hops after the teardown: let them settle (bounded)
      for (let hop = 0; hop < 20 && errors.length === 0; hop++) await Promise.resolve();
      expect(errors.map((e) => (e as Error).message)).to.deep.equal(['no network']);
      child.destroy();
    });

    it('throws a TypeError for something that is not a Service class', () => {
      expect(() => provideServices(Clock, Object as unknown as Type<Service>)).to.throw(
        TypeError,
        /provideServices\(\) takes Service classes; received function Object/,
      );
    });
  });

  describe('provideComponentServices()', () => {
    @Component({
      selector: 'x-poller',
      providers: provideComponentServices(Poller),
      template: '<span>{{ poller.name }}</span>',
    })
    class PollerComponent {
      readonly poller = inject(Poller);
      readonly tree = inject(SERVICE_TREE);
    }

    @Component({
      selector: 'x-host',
      imports: [PollerComponent],
      template: '@if (shown()) { <x-poller /> }',
    })
    class HostComponent {
      readonly shown = signal(true);
    }

    it('starts the component tree when the component is created and stops it when destroyed', async () => {
      TestBed.configureTestingModule({ providers: [provideServices(Clock)] });
      const fixture = TestBed.createComponent(HostComponent);
      fixture.detectChanges();
      const component = fixture.debugElement.children[0]!.componentInstance as PollerComponent;
      const { poller, tree } = component;
      await tree.waitFor('running', { timeout: 1_000 });
      expect(tree.children).to.deep.equal([poller]);
      expect(poller.path).to.equal('component/Poller');
      expect(tree).not.to.equal(TestBed.inject(SERVICE_TREE));
      expect(poller.state).to.equal('running');

      fixture.componentInstance.shown.set(false);
      fixture.detectChanges();
      expect(poller.shouldStop, 'stop begins with the destroy').to.equal(true);
      await tree.waitUntilStopped();
      expect(poller.state).to.equal('stopped');
      expect(TestBed.inject(Clock).state, 'the application tree runs on').to.equal('running');
      expect(calls).to.deep.equal(['Clock.onStart', 'Poller.onStart', 'Poller.onStop']);
    });

    it('gives each component instance its own services', async () => {
      @Component({
        selector: 'x-two',
        imports: [PollerComponent],
        template: '<x-poller /><x-poller />',
      })
      class TwoPollers {}
      const fixture = TestBed.createComponent(TwoPollers);
      fixture.detectChanges();
      const [a, b] = fixture.debugElement.children.map((d) => d.componentInstance as PollerComponent);
      expect(a!.poller).not.to.equal(b!.poller);
      await Promise.all([a!.tree.waitFor('running'), b!.tree.waitFor('running')]);
      fixture.destroy();
      await Promise.all([a!.tree.waitUntilStopped(), b!.tree.waitUntilStopped()]);
      expect([a!.poller.state, b!.poller.state]).to.deep.equal(['stopped', 'stopped']);
    });

    it('never starts a tree whose component is destroyed before the start', async () => {
      const fixture = TestBed.createComponent(HostComponent);
      fixture.detectChanges();
      const { poller, tree } = fixture.debugElement.children[0]!.componentInstance as PollerComponent;
      fixture.destroy();
      await new Promise((resolve) => setImmediate(resolve));
      expect(tree.state).to.equal('stopped');
      expect(poller.state).to.equal('init');
      expect(calls).to.deep.equal([]);
    });
  });

  describe('injectService()', () => {
    it('returns the provided service', () => {
      TestBed.configureTestingModule({ providers: [provideServices(Clock)] });
      expect(TestBed.runInInjectionContext(() => injectService(Clock))).to.equal(TestBed.inject(Clock));
    });

    it('throws an error that names the fix when the service is not provided', () => {
      expect(() => TestBed.runInInjectionContext(() => injectService(Feed))).to.throw(
        Error,
        /Feed is not provided: add provideServices\(Feed\)/,
      );
    });
  });
});
