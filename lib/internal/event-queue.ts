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

const queue: { source: EventSource; event: LifecycleEvent }[] = [];
let draining = false;

/**
 * @internal Delivers `event` to `source` and every ancestor, after the events raised before it.
 * `before` runs right after the event joins the queue (a state change pushes its `state$` value
 * there, so the event follows the emission it reports).
 */
export function publishEvent(source: EventSource, event: LifecycleEvent, before?: () => void): void {
  queue.push({ source, event });
  before?.();
  if (draining) return;
  draining = true;
  try {
    for (let item = queue.shift(); item; item = queue.shift()) {
      for (let s: EventSource | undefined = item.source; s; s = s.parent) s[deliverEvent](item.event);
    }
  } finally {
    draining = false;
  }
}
