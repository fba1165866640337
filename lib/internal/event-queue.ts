/**
 * Ordered delivery of lifecycle events: an event raised while another is being delivered (a
 * transition made inside a subscriber) waits its turn, so every `events$` sees every event in the
 * order it happened, once.
 */
import type { LifecycleEvent } from '../events.js';
import { deliverEvent } from './symbols.js';

/** A service as the queue sees it: its parent link and its own delivery. */
export interface EventSource {
  readonly parent: EventSource | undefined;
  /** Hands `event` to this service's own `events$` subscribers, if it has any. */
  [deliverEvent](event: LifecycleEvent): void;
}

/** Sources and events, alternating (no object per queued event). */
const queue: (EventSource | LifecycleEvent)[] = [];
let head = 0;
let draining = false;

/**
 * @internal Queues `event` of `source`; {@link deliverEvents} hands it to `source` and every ancestor
 * after the events queued before it. A state change queues its event, emits on `state$`, then
 * delivers, so the event follows the emission it reports.
 */
export function queueEvent(source: EventSource, event: LifecycleEvent): void {
  queue.push(source, event);
}

/** @internal Delivers the queued events in order, unless a delivery is already under way below. */
export function deliverEvents(): void {
  if (draining) return;
  draining = true;
  try {
    while (head < queue.length) {
      const source = queue[head] as EventSource;
      const event = queue[head + 1] as LifecycleEvent;
      head += 2;
      for (let s: EventSource | undefined = source; s; s = s.parent) s[deliverEvent](event);
    }
  } finally {
    // all of it (without allocating), unless a delivery threw: the rest goes out with the next event
    if (head === queue.length) queue.length = 0;
    else queue.splice(0, head);
    head = 0;
    draining = false;
  }
}

/** @internal Queues and delivers one event. */
export function publishEvent(source: EventSource, event: LifecycleEvent): void {
  queueEvent(source, event);
  deliverEvents();
}
