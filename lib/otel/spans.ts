/**
 * Spans for a service tree, built from its lifecycle events: `start <name>`, `stop <name>` and
 * `crash <name>` per run, nested like the tree, with `hook <hook>` sub-spans, restarts, supervisor
 * decisions and leadership changes as span events. Span times are the events' times on the
 * services' scheduler clock.
 */
import { SpanStatusCode, context, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import type { LifecycleEvent, ServiceRef } from '../events.js';
import type { Service } from '../service.js';
import type { TreeWatcher } from '../internal/watch-tree.js';

/** The open spans of one service's current run. */
interface Entry {
  service: Service<any>;
  /** Open from `starting` until `running`, or, when the start is interrupted, until its stop ends. */
  start: Span | undefined;
  /** Open from `stopping` (or a crash) until the teardown ends. */
  stop: Span | undefined;
  /** Open from a crash while running until its teardown ends. */
  crash: Span | undefined;
  /** Why the current stop failed (a hook error or the deadline), shown as the stop span's status. */
  stopError: string | undefined;
}

/** Attribute: the service's path (`app/db/pool`), on spans and instruments. */
export const ATTR_PATH = 'rxmode.service.path';
/** Attribute: the service's id, on spans (two services may share a path). */
export const ATTR_ID = 'rxmode.service.id';
/** Attribute: a state; on a span, the state its run ended in (or was in when the span opened). */
export const ATTR_STATE = 'rxmode.service.state';
/** Attribute: the name of a `LeaderService`'s lease, on its `leader` events and instruments. */
export const ATTR_LEASE = 'rxmode.lease.name';

const asException = (error: unknown): Error | string => (error instanceof Error ? error : String(error));
const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Turns lifecycle events into spans; one per instrumented tree. */
export class SpanRecorder implements TreeWatcher {
  readonly #tracer: Tracer;
  readonly #entries = new Map<string, Entry>();

  constructor(tracer: Tracer) {
    this.#tracer = tracer;
  }

  added(service: Service<any>): void {
    this.#entries.set(service.id, {
      service,
      start: undefined,
      stop: undefined,
      crash: undefined,
      stopError: undefined,
    });
  }

  removed(service: Service<any>): void {
    const entry = this.#entries.get(service.id);
    if (!entry) return;
    this.#endAll(entry, service.scheduler.now());
    this.#entries.delete(service.id);
  }

  /** Ends every open span (the instrumentation is being removed). */
  close(at: number): void {
    for (const entry of this.#entries.values()) this.#endAll(entry, at);
    this.#entries.clear();
  }

  event(event: LifecycleEvent): void {
    switch (event.type) {
      case 'state':
        this.#state(event);
        return;
      case 'hook':
        this.#hook(event);
        return;
      case 'supervisor':
        this.#decision(event);
        return;
      case 'leader':
        this.#leader(event);
        return;
      case 'stop-timeout': {
        const entry = this.#entries.get(event.service.id);
        const span = entry?.stop;
        if (!entry || !span) return;
        entry.stopError = 'stop timed out';
        span.addEvent(
          'stop-timeout',
          { 'rxmode.stop.stuck': event.stuck.map((s) => `${s.path} ${s.phase} (${s.elapsedMs} ms)`) },
          new Date(event.at),
        );
        return;
      }
      default:
        return;
    }
  }

  started(): void {}

  stopped(service: Service<any>, at: number, _durationMs: number, how: 'stopped' | 'crashed'): void {
    if (how !== 'crashed') return; // a plain stop ended with its `stopped` event
    const entry = this.#entries.get(service.id);
    if (entry) this.#endAll(entry, at, how);
  }

  #state(event: Extract<LifecycleEvent, { type: 'state' }>): void {
    const entry = this.#entries.get(event.service.id);
    if (!entry) return;
    const { service, at, to } = event;
    const time = new Date(at);
    switch (to) {
      case 'starting': {
        this.#endAll(entry, at); // a crash teardown still open (never in practice: start waits for it)
        const parent = this.#parentOf(entry);
        const span = this.#open('start', service, to, at, parent?.start);
        if (event.from !== 'init') {
          span.addEvent(
            'restart',
            {
              'rxmode.service.restarts': entry.service.restartCount,
              'rxmode.service.previous_state': event.from,
            },
            time,
          );
        }
        entry.start = span;
        entry.stopError = undefined;
        return;
      }
      case 'running':
        entry.start?.setAttribute(ATTR_STATE, to).end(time);
        entry.start = undefined;
        return;
      case 'stopping': {
        const parent = this.#parentOf(entry);
        const around = entry.start ?? parent?.stop ?? parent?.start ?? parent?.crash;
        entry.stop = this.#open('stop', service, to, at, around, event.reason?.type ?? 'manual');
        return;
      }
      case 'stopped':
        if (event.from === 'stopping') this.#endAll(entry, at, to);
        return;
      case 'crashed': {
        const error = event.reason?.type === 'crash' ? event.reason.error : undefined;
        let around = entry.start;
        if (around) {
          // a failed start: the start span fails and holds the rollback
          around.setStatus({ code: SpanStatusCode.ERROR, message: message(error) });
          around.recordException(asException(error), time);
        } else {
          const parent = this.#parentOf(entry);
          around = this.#open('crash', service, to, at, parent?.stop ?? parent?.start ?? parent?.crash);
          around.setStatus({ code: SpanStatusCode.ERROR, message: message(error) });
          around.recordException(asException(error), time);
          entry.crash = around;
        }
        entry.stop = this.#open('stop', service, to, at, around, 'crash');
        return;
      }
      default:
        return;
    }
  }

  #hook(event: Extract<LifecycleEvent, { type: 'hook' }>): void {
    const entry = this.#entries.get(event.service.id);
    const around = entry && (entry.stop ?? entry.start ?? entry.crash);
    const span = this.#open(
      'hook',
      { ...event.service, name: event.hook },
      entry?.service.state ?? 'init',
      event.at - event.durationMs,
      around,
    );
    span.setAttribute('rxmode.hook', event.hook);
    if ('error' in event) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: message(event.error) });
      span.recordException(asException(event.error), new Date(event.at));
      if (entry && around === entry.stop) entry.stopError = `${event.hook} failed: ${message(event.error)}`;
    }
    span.end(new Date(event.at));
  }

  #decision(event: Extract<LifecycleEvent, { type: 'supervisor' }>): void {
    const child = this.#entries.get(event.child.id);
    const supervisor = this.#entries.get(event.service.id);
    const attributes: Attributes = {
      [ATTR_PATH]: event.child.path,
      'rxmode.supervisor.path': event.service.path,
      'rxmode.supervisor.decision': event.decision,
      'rxmode.supervisor.attempt': event.attempt,
      'rxmode.supervisor.delay_ms': event.delayMs,
    };
    const target =
      child?.crash ??
      child?.stop ??
      child?.start ??
      supervisor?.stop ??
      supervisor?.start ??
      supervisor?.crash;
    if (target) {
      target.addEvent('supervisor.decision', attributes, new Date(event.at));
      return;
    }
    // nothing of the child or its supervisor is open: a short span of its own carries the decision
    const span = this.#open('supervise', event.service, supervisor?.service.state ?? 'running', event.at);
    span.addEvent('supervisor.decision', attributes, new Date(event.at));
    span.end(new Date(event.at));
  }

  /**
   * A term began or ended, or an acquire failed: a `leader` event on the service's open span, else
   * (a leader runs between its start and its stop) on a short `lease <name>` span of its own.
   */
  #leader(event: Extract<LifecycleEvent, { type: 'leader' }>): void {
    const entry = this.#entries.get(event.service.id);
    const attributes: Attributes = { 'rxmode.leader': event.leader, [ATTR_LEASE]: event.lease };
    if (event.token !== undefined) attributes['rxmode.lease.token'] = event.token;
    if ('reason' in event) attributes['rxmode.leader.reason'] = message(event.reason);
    const time = new Date(event.at);
    const target = entry && (entry.stop ?? entry.start ?? entry.crash);
    if (target) {
      target.addEvent('leader', attributes, time);
      return;
    }
    const parent = entry && this.#parentOf(entry);
    const around = parent && (parent.stop ?? parent.start ?? parent.crash);
    const span = this.#open('lease', event.service, entry?.service.state ?? 'running', event.at, around);
    span.addEvent('leader', attributes, time);
    span.end(time);
  }

  #parentOf(entry: Entry): Entry | undefined {
    const parent = entry.service.parent;
    return parent ? this.#entries.get(parent.id) : undefined;
  }

  /** Starts `<kind> <name>` at `at` inside `parent` (or the active context); `reason` for stop spans. */
  #open(kind: string, ref: ServiceRef, state: string, at: number, parent?: Span, reason?: string): Span {
    const attributes: Attributes = { [ATTR_PATH]: ref.path, [ATTR_ID]: ref.id, [ATTR_STATE]: state };
    if (reason !== undefined) attributes['rxmode.stop.reason'] = reason;
    const ctx = parent ? trace.setSpan(context.active(), parent) : context.active();
    return this.#tracer.startSpan(`${kind} ${ref.name}`, { attributes, startTime: new Date(at) }, ctx);
  }

  /** Ends the open spans of a run, innermost first; `state` is the state the run ended in. */
  #endAll(entry: Entry, at: number, state?: string): void {
    const time = new Date(at);
    const { stop, start, crash } = entry;
    entry.stop = entry.start = entry.crash = undefined;
    if (stop) {
      if (entry.stopError) stop.setStatus({ code: SpanStatusCode.ERROR, message: entry.stopError });
      if (state) stop.setAttribute(ATTR_STATE, state);
      stop.end(time);
    }
    entry.stopError = undefined;
    if (start) {
      if (state) start.setAttribute(ATTR_STATE, state);
      start.end(time);
    }
    if (crash) crash.end(time);
  }
}
