/**
 * The BlockingDetector: a service that notices when the event loop stalls (a synchronous loop, a
 * huge JSON.parse, a blocking fs call) and reports it as a `blocked` event naming the work whose
 * synchronous code was running, with its stack, as seen from a watchdog thread during the stall.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseDuration, type Duration } from '../duration.js';
import type { LifecycleEvent } from '../events.js';
import { show } from '../internal/format.js';
import { scheduleLoop } from '../internal/clock.js';
import type { ServiceOptions } from '../options.js';
import { emit } from '../internal/symbols.js';
import { Service } from '../service.js';
import { checkLogFormat, type LogFormat } from './console-logger.js';
import type { StallReport } from './watchdog/protocol.js';
import { Watchdog } from './watchdog/watchdog.js';

/** Options of {@link BlockingDetector}. */
export interface BlockingDetectorOptions extends ServiceOptions {
  /** A stall longer than this is reported. @defaultValue 10s */
  timeout?: Duration;
  /** How often the loop is sampled (and pinged by the watchdog). @defaultValue a quarter of `timeout`, at most 1s */
  interval?: Duration;
  /**
   * The tree whose work is named in `running` (work marked with another service path is left out).
   * @defaultValue the detector's root at the time of the stall
   */
  watch?: Service<any>;
  /**
   * Writes the report to stderr from the watchdog thread as soon as the stall is seen, as a warning
   * line of the console logger in this format (`pretty` lines carry the stack below them). The main
   * thread cannot log while it is blocked; `false` leaves the report to the `blocked` event and the
   * warning on `logger` once the loop turns again.
   * @defaultValue false; a Worker sets its `logFormat` unless it was given a `logger` or a level above `warn`
   */
  stallLog?: LogFormat | false;
  /**
   * Captures the main thread's JavaScript stack during a stall (through the inspector, from the
   * watchdog thread). Never while an inspector is open (`--inspect`): a debugger would see the pause.
   * @defaultValue true
   */
  captureStack?: boolean;
}

/** The last stall a detector reported, for the SIGUSR1 dump. */
export interface StallRecord {
  /** When it was reported, on the detector's scheduler. */
  readonly at: number;
  readonly lagMs: number;
  /** The work marked as running during the stall; undefined when no watchdog looked. */
  readonly running: readonly string[] | undefined;
  /** The main thread's stack during the stall, or why there is none. */
  readonly stack: string | undefined;
  readonly noStack: string | undefined;
}

type Blocked = Extract<LifecycleEvent, { type: 'blocked' }>;

/** Labels that name no service: a receiver, or work of a host that does not tell its path. */
const PATHLESS = /^(signal|task|timer|cron):|^run$/;

/** Samples to wait for a report the watchdog is still writing before reporting without it. */
const REPORT_WAIT_SAMPLES = 10;

/**
 * Reports event-loop stalls longer than `timeout` as `blocked` events (`lagMs`, `running`,
 * `stack`) on its `events$` (so on every ancestor's) and as a warning in the log.
 *
 * @remarks
 * While it runs, a watchdog thread (`worker_threads`, unref'd, ended at stop) pings the main
 * thread every `interval`. A ping unanswered for `timeout` means the loop is blocked: during the
 * stall, the watchdog reads which work is marked as running (rxmode marks the synchronous part of
 * hooks, of task and `run()` calls, of timer and cron bodies and of signal receivers, as
 * `<path>:onStart`, `<path>:task:<name>`, `<path>:timer:<name>`, `<path>:cron:<name>`,
 * `signal:<signal>:<receiver>`), pauses the main thread through the inspector to read its stack,
 * and (with `stallLog`) writes the report to stderr at once. Once the loop turns again, the
 * `blocked` event follows with the length of the stall (`lagMs`: the larger of a timer's lateness
 * and `perf_hooks.monitorEventLoopDelay`), `running` (what was marked during the stall, outermost
 * first: the culprit, never a service that was merely awaiting something; empty when the blocking
 * code was not marked work, such as code after an `await` or inside an rxjs operator) and `stack`
 * (innermost frame first, `    at fn (url:line:column)`; positions are those of the code that runs,
 * before source maps).
 *
 * No stack: while an inspector is open (`--inspect`), in a Node without inspector, with
 * `captureStack: false`, or when the main thread stays in native code (a synchronous read,
 * `zlib.*Sync`) past the capture deadline. No `running` (undefined) when no watchdog looked: its
 * thread could not start (a bundle without the rxmode/node files), or the stall ended before the
 * watchdog saw it (a stall barely longer than `timeout`). Marking costs one check per call site
 * when no detector runs, and a Map lookup and two stores into shared memory when one does. The
 * Worker adds a detector with `blockingTimeout` (default 10s).
 * @throws TypeError for a `timeout` or `interval` that is not a positive duration, or a bad option.
 * @example
 * ```ts
 * const detector = new BlockingDetector({ timeout: '200ms', stallLog: 'pretty' });
 * detector.events$.subscribe((e) => e.type === 'blocked' && console.warn(e.lagMs, e.running, e.stack));
 * await app.addRuntimeDependency(detector);
 * ```
 */
export class BlockingDetector extends Service {
  /** The stall length that is reported, in ms. */
  readonly timeoutMs: number;
  /** The sampling interval, in ms. */
  readonly intervalMs: number;
  readonly #watch: Service<any> | undefined;
  readonly #stallLog: LogFormat | false;
  readonly #captureStack: boolean;
  #lastStall: StallRecord | undefined;

  constructor(options: BlockingDetectorOptions = {}) {
    const { timeout, interval, watch, stallLog, captureStack, ...serviceOptions } = options;
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
    if (captureStack !== undefined && typeof captureStack !== 'boolean') {
      throw new TypeError(`captureStack must be a boolean; received ${show(captureStack)}`);
    }
    this.#watch = watch;
    this.#stallLog =
      stallLog === undefined || stallLog === false ? false : checkLogFormat(stallLog, 'stallLog');
    this.#captureStack = captureStack ?? true;
  }

  /** The last stall reported (for the SIGUSR1 dump), if any. */
  get lastStall(): StallRecord | undefined {
    return this.#lastStall;
  }

  protected override async onStart(): Promise<void> {
    const histogram = monitorEventLoopDelay({
      resolution: Math.max(1, Math.min(20, Math.floor(this.intervalMs / 2))),
    });
    histogram.enable();
    this.addTeardown(() => histogram.disable());
    const watchdog = await this.#startWatchdog();
    const scheduler = this.scheduler;
    let last = scheduler.now();
    let waiting: { lagMs: number; samples: number } | undefined;
    const sample = (): void => {
      const now = scheduler.now();
      const late = now - last - this.intervalMs;
      last = now;
      const delay = histogram.count > 0 ? histogram.max / 1e6 : 0;
      histogram.reset();
      const report = watchdog?.takeReport();
      const lagMs = Math.round(Math.max(late, delay, report?.lagMs ?? 0, waiting?.lagMs ?? 0));
      if (lagMs <= this.timeoutMs && !report) return;
      if (!report && watchdog?.isCapturing && (waiting?.samples ?? 0) < REPORT_WAIT_SAMPLES) {
        waiting = { lagMs, samples: (waiting?.samples ?? 0) + 1 }; // its report comes in a moment
        return;
      }
      waiting = undefined;
      this.#report(lagMs, now, watchdog ? report : undefined);
    };
    const interval = this.intervalMs;
    const action = scheduleLoop(scheduler, interval, () => {
      sample();
      return interval;
    });
    this.addTeardown(() => action.unsubscribe());
  }

  /** Boots the watchdog thread; without one, stalls are still reported once over, without culprit. */
  async #startWatchdog(): Promise<Watchdog | undefined> {
    try {
      const watchdog = await Watchdog.start({
        timeoutMs: this.timeoutMs,
        pollMs: this.intervalMs,
        captureStack: this.#captureStack,
        log: this.#stallLog
          ? {
              format: this.#stallLog,
              color: process.stderr.isTTY === true && !process.env.NO_COLOR,
              service: this.path,
            }
          : undefined,
        name: `${this.path} watchdog`,
      });
      this.addTeardown({ [Symbol.asyncDispose]: () => watchdog.stop() }); // the thread ends with the run
      return watchdog;
    } catch (error) {
      this.logger.warn(
        { service: this.path, err: error },
        'no watchdog thread: stalls are reported once over, without what was running',
      );
      return undefined;
    }
  }

  /**
   * The labels of `running` that belong to the watched tree: its paths, and the labels that name no
   * service (signal receivers); the detector's own work is left out.
   */
  #ofWatchedTree(running: readonly string[]): string[] {
    let root: Service<any> = this.#watch ?? this;
    if (!this.#watch) while (root.parent) root = root.parent;
    const tree = root.path;
    const own = `${this.path}:`;
    return running.filter(
      (label) =>
        !label.startsWith(own) &&
        (label.startsWith(`${tree}:`) || label.startsWith(`${tree}/`) || PATHLESS.test(label)),
    );
  }

  #report(lagMs: number, at: number, report: StallReport | undefined): void {
    const event: Blocked = { type: 'blocked', service: this.ref, at, lagMs };
    if (report) event.running = this.#ofWatchedTree(report.running);
    if (report?.stack !== undefined) event.stack = report.stack;
    this.#lastStall = {
      at,
      lagMs,
      running: event.running,
      stack: report?.stack,
      noStack: report ? report.noStack : 'no watchdog looked during the stall',
    };
    this[emit](event);
    const fields: Record<string, unknown> = {
      service: this.path,
      lagMs,
      running: event.running ?? 'unknown',
    };
    // written by the watchdog during the stall already, when stallLog is on
    if (!report || !this.#stallLog) fields.stack = event.stack;
    this.logger.warn(fields, 'event loop blocked');
  }
}
