/**
 * The BlockingDetector: a service that notices when the event loop stalls (a synchronous loop, a
 * huge JSON.parse, a blocking fs call) and reports it as a `blocked` event naming what was under way.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseDuration, type Duration } from '../duration.js';
import { show } from '../internal/format.js';
import { scheduleLoop } from '../internal/clock.js';
import type { ServiceOptions } from '../options.js';
import { emit } from '../internal/symbols.js';
import { Service } from '../service.js';
import { activityOf } from './dump.js';

/** Options of {@link BlockingDetector}. */
export interface BlockingDetectorOptions extends ServiceOptions {
  /** A stall longer than this is reported. @defaultValue 10s */
  timeout?: Duration;
  /** How often the loop is sampled. @defaultValue a quarter of `timeout`, at most 1s */
  interval?: Duration;
  /** The tree whose work is named in `running`. @defaultValue the detector's root at the time of the stall */
  watch?: Service<any>;
}

/**
 * Reports event-loop stalls longer than `timeout` as `blocked` events (`lagMs`, `running`) on its
 * `events$` (so on every ancestor's) and as a warning in the log.
 *
 * @remarks
 * Two clocks are compared on every sample: a timer on the service's scheduler (how late it fired)
 * and `perf_hooks.monitorEventLoopDelay` (the longest delay since the last sample); `lagMs` is the
 * larger. A stall is seen once it is over, since nothing runs while the loop is blocked: `running`
 * names what was under way around it, the services starting or stopping and every diag flag set
 * (`@transitionsTo`), as `path (state)` and `path:flag`. The Worker adds one with
 * `blockingTimeout` (default 10s).
 * @throws TypeError for a `timeout` or `interval` that is not a positive duration.
 * @example
 * ```ts
 * const detector = new BlockingDetector({ timeout: '200ms' });
 * detector.events$.subscribe((e) => e.type === 'blocked' && console.warn(e.lagMs, e.running));
 * await app.addRuntimeDependency(detector);
 * ```
 */
export class BlockingDetector extends Service {
  /** The stall length that is reported, in ms. */
  readonly timeoutMs: number;
  /** The sampling interval, in ms. */
  readonly intervalMs: number;
  readonly #watch: Service<any> | undefined;

  constructor(options: BlockingDetectorOptions = {}) {
    const { timeout, interval, watch, ...serviceOptions } = options;
    super(serviceOptions);
    this.timeoutMs = parseDuration(timeout ?? '10s', 'timeout');
    if (this.timeoutMs <= 0) throw new TypeError(`timeout must be greater than 0; received ${show(timeout)}`);
    this.intervalMs =
      interval === undefined ? Math.min(1000, this.timeoutMs / 4) : parseDuration(interval, 'interval');
    if (this.intervalMs <= 0)
      throw new TypeError(`interval must be greater than 0; received ${show(interval)}`);
    if (watch !== undefined && !(watch instanceof Service)) {
      throw new TypeError(`watch must be a Service; received ${show(watch)}`);
    }
    this.#watch = watch;
  }

  protected override onStart(): void {
    const histogram = monitorEventLoopDelay({
      resolution: Math.max(1, Math.min(20, Math.floor(this.intervalMs / 2))),
    });
    histogram.enable();
    const scheduler = this.scheduler;
    let last = scheduler.now();
    const sample = (): void => {
      const now = scheduler.now();
      const late = now - last - this.intervalMs;
      last = now;
      const delay = histogram.count > 0 ? histogram.max / 1e6 : 0;
      histogram.reset();
      const lagMs = Math.round(Math.max(late, delay));
      if (lagMs > this.timeoutMs) this.#report(lagMs, now);
    };
    const interval = this.intervalMs;
    const action = scheduleLoop(scheduler, interval, () => {
      sample();
      return interval;
    });
    this.addTeardown(() => {
      action.unsubscribe();
      histogram.disable();
    });
  }

  #report(lagMs: number, at: number): void {
    let root: Service<any> = this.#watch ?? this;
    if (!this.#watch) while (root.parent) root = root.parent;
    const running = activityOf(root.toJSON()).filter((entry) => !entry.startsWith(`${this.path} `));
    this[emit]({ type: 'blocked', service: this.ref, at, lagMs, running });
    this.logger.warn({ service: this.path, lagMs, running }, 'event loop blocked');
  }
}
