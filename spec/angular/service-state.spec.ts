// Specs for serviceState and serviceState$ (lib/angular/service-state.ts) under Angular TestBed
// (zoneless, jsdom): the state follows the service, templates re-render, subscriptions end with
// the injection context, and use after destroy is quiet.
import { expect } from 'chai';
import { AsyncPipe } from '@angular/common';
import {
  Component,
  EnvironmentInjector,
  NgZone,
  createEnvironmentInjector,
  inject,
  ɵNoopNgZone as NoopNgZone,
} from '@angular/core';
import { TestBed } from '@angular/core/testing';
import type { BehaviorSubject, Observable } from 'rxjs';
import { Service, type ServiceState } from '../../lib/index.js';
import { provideServices, serviceState, serviceState$ } from '../../lib/angular/index.js';

class Clock extends Service {}

/** True while something subscribes to the service's state$. */
const isObserved = (service: Service<any>): boolean =>
  (service.state$ as BehaviorSubject<ServiceState>).observed;

/** A child environment injector of the test module, to destroy at will. */
const childInjector = (): EnvironmentInjector =>
  createEnvironmentInjector([], TestBed.inject(EnvironmentInjector));

/** Collects what an Observable emits and whether it completed. */
function record<V>(source: Observable<V>): {
  log: { values: V[]; completed: boolean; errors: unknown[] };
  unsubscribe(): void;
} {
  const log = { values: [] as V[], completed: false, errors: [] as unknown[] };
  const subscription = source.subscribe({
    next: (v) => log.values.push(v),
    error: (e: unknown) => log.errors.push(e),
    complete: () => (log.completed = true),
  });
  return { log, unsubscribe: () => subscription.unsubscribe() };
}

describe('rxmode/angular', () => {
  const services: Service<any>[] = [];
  afterEach(async () => {
    await Promise.all(services.splice(0).map((s) => s.stop().catch(() => {})));
  });
  const clock = (): Clock => {
    const service = new Clock();
    services.push(service);
    return service;
  };

  describe('serviceState()', () => {
    it('holds the current state at once and follows every transition', async () => {
      const service = clock();
      const state = TestBed.runInInjectionContext(() => serviceState(service));
      expect(state()).to.equal('init');
      await service.start();
      expect(state()).to.equal('running');
      service.crash(new Error('boom'));
      expect(state()).to.equal('crashed');
      await service.waitUntilStopped();
      await service.start();
      expect(state()).to.equal('running');
    });

    it('re-renders a zoneless component when the state changes', async () => {
      @Component({ selector: 'x-clock', template: 'clock is {{ state() }}' })
      class ClockComponent {
        readonly clock = inject(Clock);
        readonly state = serviceState(this.clock);
        readonly zone = inject(NgZone);
      }
      TestBed.configureTestingModule({ providers: [provideServices(Clock)] });
      const fixture = TestBed.createComponent(ClockComponent);
      fixture.autoDetectChanges();
      expect(fixture.componentInstance.zone, 'no zone.js here').to.be.instanceOf(NoopNgZone);
      const text = (): string => (fixture.nativeElement as HTMLElement).textContent ?? '';
      await fixture.componentInstance.clock.waitFor('running');
      await fixture.whenStable();
      expect(text()).to.equal('clock is running');
      await fixture.componentInstance.clock.stop();
      await fixture.whenStable();
      expect(text()).to.equal('clock is stopped');
    });

    it('throws outside an injection context', () => {
      expect(() => serviceState(clock())).to.throw(/NG0203/);
    });

    it('throws a TypeError for something that is not a Service', () => {
      expect(() => TestBed.runInInjectionContext(() => serviceState({} as Service))).to.throw(
        TypeError,
        /serviceState\(\) takes a Service/,
      );
    });

    it('unsubscribes when its injection context is destroyed', () => {
      const service = clock();
      const injector = childInjector();
      const state = serviceState(service, { injector });
      expect(isObserved(service)).to.equal(true);
      injector.destroy();
      expect(isObserved(service)).to.equal(false);
      expect(state()).to.equal('init');
    });

    it('after its component was destroyed, returns the current state without throwing or subscribing', async () => {
      @Component({ selector: 'x-empty', template: '' })
      class Empty {}
      const service = clock();
      await service.start();
      const fixture = TestBed.createComponent(Empty);
      const injector = fixture.componentRef.injector;
      fixture.destroy();
      const state = serviceState(service, { injector });
      expect(state()).to.equal('running');
      expect(isObserved(service)).to.equal(false);
    });

    it('after its environment injector was destroyed, returns the current state quietly', async () => {
      const service = clock();
      await service.start();
      const injector = childInjector();
      injector.destroy();
      expect(serviceState(service, { injector })()).to.equal('running');
      expect(isObserved(service)).to.equal(false);
    });
  });

  describe('serviceState$()', () => {
    it('emits the current state, then each transition', async () => {
      const service = clock();
      const states = record<ServiceState>(TestBed.runInInjectionContext(() => serviceState$(service)));
      await service.start();
      await service.stop();
      expect(states.log.values).to.deep.equal(['init', 'starting', 'running', 'stopping', 'stopped']);
      states.unsubscribe();
      expect(isObserved(service)).to.equal(false);
    });

    it('completes when its injection context is destroyed', () => {
      const service = clock();
      const injector = childInjector();
      const states = record<ServiceState>(serviceState$(service, { injector }));
      injector.destroy();
      expect(states.log).to.deep.equal({ values: ['init'], completed: true, errors: [] });
      expect(isObserved(service)).to.equal(false);
    });

    it('gives a late subscriber after destroy the current state and completes quietly', () => {
      const service = clock();
      const injector = childInjector();
      const state$ = serviceState$(service, { injector });
      injector.destroy();
      const late = record<ServiceState>(state$);
      expect(late.log).to.deep.equal({ values: ['init'], completed: true, errors: [] });
      expect(isObserved(service)).to.equal(false);
    });

    it('feeds the async pipe of a zoneless component', async () => {
      @Component({
        selector: 'x-feed',
        imports: [AsyncPipe],
        template: 'feed is {{ state$ | async }}',
      })
      class FeedComponent {
        readonly clock = inject(Clock);
        readonly state$ = serviceState$(this.clock);
      }
      TestBed.configureTestingModule({ providers: [provideServices(Clock)] });
      const fixture = TestBed.createComponent(FeedComponent);
      fixture.autoDetectChanges();
      const { clock: service } = fixture.componentInstance;
      await service.waitFor('running');
      await fixture.whenStable();
      expect((fixture.nativeElement as HTMLElement).textContent).to.equal('feed is running');
      fixture.destroy();
      expect(isObserved(service), 'the async pipe unsubscribed').to.equal(false);
    });

    it('throws outside an injection context', () => {
      expect(() => serviceState$(clock())).to.throw(/NG0203/);
    });
  });
});
