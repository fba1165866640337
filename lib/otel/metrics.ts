/**
 * OpenTelemetry instruments for a service tree: the state and leadership gauges (observed from a
 * batch callback at collection time), the restarts and leader terms counters and the start/stop
 * duration histograms (in seconds), recorded from lifecycle events.
 */
import { ValueType, type Attributes, type BatchObservableCallback, type Meter } from '@opentelemetry/api';
import type { LifecycleEvent } from '../events.js';
import { LeaderService } from '../leader-service.js';
import type { Service } from '../service.js';
import { SERVICE_STATES, type ServiceState } from '../state.js';
import type { TreeWatcher } from '../internal/watch-tree.js';
import { ATTR_LEASE, ATTR_PATH, ATTR_STATE } from './spans.js';

/** Bucket advice for lifecycle durations (seconds): from a millisecond to a minute-long stop budget. */
const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

interface Entry {
  /** `{ path }`, taken when the service joins the tree (a removed service no longer knows it). */
  path: Attributes;
  state: ServiceState;
  /** One attribute set per state, and per end of a stop: built when first needed. */
  perState: Attributes[] | undefined;
  stopped: Attributes | undefined;
  crashed: Attributes | undefined;
  /** Present for a `LeaderService` only: `{ path, lease }`, and whether it leads. */
  lease: { attributes: Attributes; leader: boolean } | undefined;
}

/** `{ path, state }` for an entry. */
const withState = (entry: Entry, state: ServiceState): Attributes => ({
  [ATTR_PATH]: entry.path[ATTR_PATH],
  [ATTR_STATE]: state,
});
const perStateOf = (entry: Entry): Attributes[] =>
  (entry.perState ??= SERVICE_STATES.map((state) => withState(entry, state)));
const stoppedOf = (entry: Entry): Attributes => (entry.stopped ??= withState(entry, 'stopped'));
const crashedOf = (entry: Entry): Attributes => (entry.crashed ??= withState(entry, 'crashed'));

/** Records the instruments of one instrumented tree. */
export class MetricRecorder implements TreeWatcher {
  readonly #meter: Meter;
  readonly #entries = new Map<string, Entry>();
  /** Services removed since the last collection: reported once more, all zeros. */
  #gone: Entry[] = [];
  readonly #state;
  readonly #restarts;
  readonly #leader;
  readonly #terms;
  readonly #startDuration;
  readonly #stopDuration;
  readonly #observe: BatchObservableCallback;

  constructor(meter: Meter) {
    this.#meter = meter;
    this.#state = meter.createObservableGauge('rxmode.service.state', {
      description: 'The state of each service: 1 for its current state, 0 for the others.',
      unit: '1',
      valueType: ValueType.INT,
    });
    this.#restarts = meter.createCounter('rxmode.service.restarts', {
      description: 'Starts of each service after its first one.',
      unit: '{restart}',
      valueType: ValueType.INT,
    });
    this.#leader = meter.createObservableGauge('rxmode.leader', {
      description:
        'Leadership of each LeaderService: 1 while this replica holds its lease, 0 while it follows.',
      unit: '1',
      valueType: ValueType.INT,
    });
    this.#terms = meter.createCounter('rxmode.leader.terms', {
      description: 'Terms begun by each LeaderService: the times this replica acquired its lease.',
      unit: '{term}',
      valueType: ValueType.INT,
    });
    this.#startDuration = meter.createHistogram('rxmode.service.start.duration', {
      description: 'Time from entering starting to running.',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
    this.#stopDuration = meter.createHistogram('rxmode.service.stop.duration', {
      description: 'Time of a stop or of a crash teardown, from its beginning to its end.',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
    this.#observe = (result) => {
      const gauge = this.#state;
      const leader = this.#leader;
      for (const entry of this.#entries.values()) {
        const attributes = perStateOf(entry);
        for (let i = 0; i < SERVICE_STATES.length; i++) {
          result.observe(gauge, SERVICE_STATES[i] === entry.state ? 1 : 0, attributes[i]);
        }
        if (entry.lease) result.observe(leader, entry.lease.leader ? 1 : 0, entry.lease.attributes);
      }
      for (const entry of this.#gone) {
        for (const attributes of perStateOf(entry)) result.observe(gauge, 0, attributes);
        if (entry.lease) result.observe(leader, 0, entry.lease.attributes);
      }
      this.#gone = [];
    };
    meter.addBatchObservableCallback(this.#observe, [this.#state, this.#leader]);
  }

  /** Removes the batch callback: the gauges are no longer observed. */
  close(): void {
    this.#meter.removeBatchObservableCallback(this.#observe, [this.#state, this.#leader]);
    this.#entries.clear();
    this.#gone = [];
  }

  added(service: Service<any>): void {
    let lease: Entry['lease'];
    if (service instanceof LeaderService) {
      lease = {
        attributes: { [ATTR_PATH]: service.path, [ATTR_LEASE]: service.leaseName },
        leader: service.isLeader,
      };
      this.#terms.add(0, lease.attributes); // the series exists, at 0, before the first term
    }
    this.#entries.set(service.id, {
      path: { [ATTR_PATH]: service.path },
      state: service.state,
      perState: undefined,
      stopped: undefined,
      crashed: undefined,
      lease,
    });
  }

  removed(service: Service<any>): void {
    const entry = this.#entries.get(service.id);
    if (!entry) return;
    this.#entries.delete(service.id);
    this.#gone.push(entry);
  }

  event(event: LifecycleEvent): void {
    if (event.type === 'leader') {
      const lease = this.#entries.get(event.service.id)?.lease;
      if (!lease) return;
      lease.leader = event.leader;
      if (event.leader) this.#terms.add(1, lease.attributes);
      return;
    }
    if (event.type !== 'state') return;
    const entry = this.#entries.get(event.service.id);
    if (!entry) return;
    entry.state = event.to;
    if (event.to === 'starting' && event.from !== 'init') this.#restarts.add(1, entry.path);
  }

  started(service: Service<any>, durationMs: number): void {
    const entry = this.#entries.get(service.id);
    if (entry) this.#startDuration.record(durationMs / 1000, entry.path);
  }

  stopped(service: Service<any>, _at: number, durationMs: number, how: 'stopped' | 'crashed'): void {
    const entry = this.#entries.get(service.id);
    if (!entry) return;
    this.#stopDuration.record(durationMs / 1000, how === 'stopped' ? stoppedOf(entry) : crashedOf(entry));
  }
}
