/**
 * The Worker: the root service of a Node process (Mode's Worker). It runs a tree until a signal, a
 * crash or a fatal error, stops it within one budget, serves health probes, and turns the outcome
 * into an exit code an orchestrator can trust.
 */
import { Subscription } from 'rxjs';
import { humanizeDuration } from '../duration.js';
import { InvalidStateError, isServiceError } from '../errors.js';
import { show } from '../internal/format.js';
import { onStopBegun, onTransition } from '../internal/symbols.js';
import { Service } from '../service.js';
import type { ServiceState } from '../state.js';
import { BlockingDetector } from './blocking-detector.js';
import { addMonitoring, type Monitoring } from './dashboard/dashboard.js';
import {
  activityOf,
  formatMainThread,
  formatThreadStack,
  formatTree,
  type ThreadStackOutcome,
} from './dump.js';
import { EXIT_FAILURE, EXIT_OK, signalExitCode } from './exit-codes.js';
import { HealthServer, notReadyReason, sendJSON, sendText, type HealthAddress } from './health-server.js';
import { logLifecycle } from './lifecycle-log.js';
import { listenProcess, SIGNAL_REPEAT_WINDOW_MS, SignalRepeats } from './signals.js';
import { captureThreadStacks, threadTargets, type ThreadTarget } from './thread/stacks.js';
import { resolveWorkerConfig, type WorkerArguments, type WorkerConfig } from './worker-options.js';

/**
 * The root service of a process: adopts services as its children, runs the tree until a signal or
 * a crash, and exits with a code that says how it ended (Mode's Worker).
 *
 * @remarks
 * Exit codes of {@link Worker.runUntilExit}: a stop signal (SIGINT, SIGTERM) stops the tree
 * gracefully → 0; a second signal during that stop → 128 + its number at once (130 for SIGINT, 143
 * for SIGTERM), but a repeat of the same signal within `SIGNAL_REPEAT_WINDOW_MS` (100 ms) of the
 * first is the same request relayed by a parent process (npm, tsx, a shell) and is ignored; the
 * `shutdownTimeout` running out → 1 once what was stuck is logged; a crash during start, a crash of
 * the root (a child's crash escalates to it), an uncaught exception or an unhandled rejection → 1
 * after the tree was torn down, the error logged once; a stop whose hooks failed → 1.
 * SIGUSR1 writes the tree (path, state, time in state, pending work) to stderr and keeps running;
 * then, for each ThreadService, the stack of what its thread is doing (or `idle`, or why it cannot
 * be taken), each in a block of its own as its capture settles.
 *
 * Probes (with `health`): `/livez` 200 unless the root crashed; `/readyz` 200 while no stop has begun
 * and every essential service whose parent is running is itself running (services created with
 * `essential: false` do not count, so one that ends on purpose can be marked so), else 503 with a
 * body naming the first service that is not ready (`Worker/Db is stopped`), or `terminating` from
 * the first signal on (through `drainDelay`) or once the root stops; `/startupz` 200 once the
 * first start finished; `/state` the `toJSON()` tree; `/metrics` prom-client's default register
 * with the tree collected into it (501 without the optional prom-client); `/events` the
 * lifecycle as Server-Sent Events; `/dashboard` the live page; with `dashboard: { control: true }`,
 * `POST /control/<id>/restart|stop|crash`. More paths can be added through
 * {@link Worker.healthServer}. The server listens before the tree starts and closes last.
 *
 * Every process listener it installs (signals, SIGUSR1, `uncaughtException`,
 * `unhandledRejection`) is removed when `runUntilExit()` settles. The lifecycle of the tree is
 * logged to the console logger (or `logger`), one line per transition, labelled with the path.
 * @throws TypeError for an argument that is not a Service (options come last) or an invalid option.
 * @example
 * ```ts
 * import { Worker } from 'rxmode/node';
 * await new Worker(new Database(), new HttpApi(), {
 *   terminationGracePeriod: '30s', // shutdownTimeout: what is left after drainDelay and 2 s
 *   drainDelay: '5s',
 *   health: { port: 9000 },
 * }).execute();
 * ```
 */
export class Worker extends Service {
  readonly #config: WorkerConfig;
  readonly #health: HealthServer | undefined;
  readonly #monitoring: Monitoring | undefined;
  readonly #detector: BlockingDetector | undefined;
  #startupDone = false;
  #session: Subscription | undefined;
  #stopSignal: NodeJS.Signals | undefined;
  #stopping: Promise<void> | undefined;
  /** True while runUntilExit() follows the tree (its stops decide the exit code). */
  #isWatching = false;
  #stopError: unknown;
  #timedOut = false;
  #fatal = false;
  #force: ((code: number) => void) | undefined;

  constructor(...args: WorkerArguments) {
    const config = resolveWorkerConfig(args);
    super(config.serviceOptions);
    this.#config = config;
    if (config.blockingTimeoutMs > 0) {
      this.#detector = this.addDependency(
        new BlockingDetector({ timeout: config.blockingTimeoutMs, stallLog: config.stallLog }),
      );
    }
    for (const service of config.services) this.addDependency(service);
    if (config.health) {
      this.#health = new HealthServer(config.health);
      this.#addProbes(this.#health);
      this.#monitoring = addMonitoring(this.#health, this, config.dashboard);
    }
  }

  /** The probe server (with `health`), so more routes can be added; undefined without `health`. */
  get healthServer(): HealthServer | undefined {
    return this.#health;
  }

  /** The address the probe server listens on, once it does (`port: 0` picks a free port). */
  get healthAddress(): HealthAddress | undefined {
    return this.#health?.address;
  }

  /** Why `/readyz` fails right now, or undefined when the tree is ready. */
  #notReady(): string | undefined {
    if (this.#stopSignal !== undefined) return `terminating (${this.#stopSignal})`;
    const state = this.state;
    if (state === 'stopping' || state === 'stopped' || state === 'crashed') {
      return `terminating (${this.path} is ${state})`;
    }
    return notReadyReason(this.toJSON());
  }

  #addProbes(server: HealthServer): void {
    server.route('/livez', (_request, response) => {
      if (this.state === 'crashed') sendText(response, 503, `crashed: ${show(this.crashReason)}`);
      else sendText(response, 200, 'ok');
    });
    server.route('/readyz', (_request, response) => {
      const reason = this.#notReady();
      sendText(response, reason === undefined ? 200 : 503, reason ?? 'ok');
    });
    server.route('/startupz', (_request, response) => {
      sendText(
        response,
        this.#startupDone ? 200 : 503,
        this.#startupDone ? 'ok' : `not started (${this.state})`,
      );
    });
    server.route('/state', (_request, response) => sendJSON(response, 200, this.toJSON()));
  }

  /**
   * Starts the tree, runs it until it stops, and resolves the exit code (see the class remarks).
   *
   * @remarks Installs the signal and error listeners first and removes them all before it settles;
   * starts the probe server before the tree and closes it last. After a forced exit (second signal)
   * it resolves at once, while the tree may still be stopping.
   * @throws InvalidStateError when it is already running.
   * @example
   * ```ts
   * process.exitCode = await new Worker(app, { health: { port: 0 } }).runUntilExit();
   * ```
   */
  async runUntilExit(): Promise<number> {
    if (this.#session)
      throw new InvalidStateError(this.ref, this.state, 'runUntilExit while it already runs');
    const session = new Subscription();
    this.#session = session;
    this.#stopSignal = undefined;
    this.#stopping = undefined;
    this.#stopError = undefined;
    this.#timedOut = false;
    this.#fatal = false;
    const forced = new Promise<number>((resolve) => (this.#force = resolve));
    session.add(logLifecycle(this, this.logger));
    session.add(
      this.events$.subscribe((event) => {
        if (event.type === 'stop-timeout' && event.service.id === this.id) this.#timedOut = true;
      }),
    );
    this.#isWatching = true;
    session.add(() => (this.#isWatching = false));
    const repeats = new SignalRepeats();
    for (const signal of this.#config.signals)
      session.add(listenProcess(signal, () => this.#onSignal(signal, repeats)));
    if (!this.#config.signals.includes('SIGUSR1')) session.add(listenProcess('SIGUSR1', () => this.#dump()));
    session.add(
      listenProcess('uncaughtException', (error: unknown) => this.#onFatal('uncaught exception', error)),
    );
    session.add(
      listenProcess('unhandledRejection', (reason: unknown) => this.#onFatal('unhandled rejection', reason)),
    );
    let code: number = EXIT_FAILURE;
    try {
      if (this.#monitoring) session.add(await this.#monitoring.open(this.logger));
      code = await Promise.race([this.#lifecycle(), forced]);
    } finally {
      const level = code === EXIT_OK ? 'info' : 'error';
      this.logger[level]({ service: this.path }, `exit code ${code}`);
      this.#force = undefined;
      session.unsubscribe();
      this.#session = undefined;
      await this.#health?.close();
    }
    return code;
  }

  /**
   * {@link Worker.runUntilExit}, then `process.exit()` with its code (Mode's `execute_from_commandline`).
   *
   * @example
   * ```ts
   * await new Worker(new App()).execute();
   * ```
   */
  async execute(): Promise<never> {
    let code: number;
    try {
      code = await this.runUntilExit();
    } catch (error) {
      this.logger.error({ service: this.path, err: error }, 'the worker failed');
      code = EXIT_FAILURE;
    }
    process.exit(code);
  }

  async #lifecycle(): Promise<number> {
    if (this.#health) {
      try {
        const { host, port } = await this.#health.listen();
        const shown = host.includes(':') ? `[${host}]` : host;
        this.logger.info({ service: this.path }, `health probes on http://${shown}:${port}`);
      } catch (error) {
        this.logger.error({ service: this.path, err: error }, 'the health server could not listen');
        return EXIT_FAILURE;
      }
    }
    if (this.#stopSignal === undefined) {
      // A failing start crashed the tree: the service where it failed logged the error.
      await this.start().catch(() => {});
    }
    if (this.state !== 'init') await this.waitUntilStopped();
    if (this.#stopping) await this.#stopping;
    if (this.#fatal || this.#timedOut || this.state === 'crashed' || this.#stopError !== undefined) {
      return EXIT_FAILURE;
    }
    return EXIT_OK;
  }

  #onSignal(signal: NodeJS.Signals, repeats: SignalRepeats): void {
    if (repeats.isRepeat(signal, this.scheduler.now())) {
      this.logger.info(
        { service: this.path },
        `${signal} again within ${SIGNAL_REPEAT_WINDOW_MS} ms: the same request, relayed by a parent process`,
      );
      return;
    }
    if (this.#stopSignal !== undefined) {
      const code = signalExitCode(signal);
      const pending = activityOf(this.toJSON());
      this.logger.error(
        { service: this.path, pending },
        `${signal} during the stop: exiting at once with code ${code}`,
      );
      this.#force?.(code);
      return;
    }
    this.#stopSignal = signal;
    const delay = this.#startupDone && this.state === 'running' ? this.#config.drainDelayMs : 0;
    if (delay <= 0) {
      this.#requestStop(signal);
      return;
    }
    this.logger.info({ service: this.path }, `${signal}: not ready; stopping in ${humanizeDuration(delay)}`);
    this.#session?.add(this.scheduler.schedule(() => this.#requestStop(signal), delay));
  }

  #requestStop(signal: NodeJS.Signals): void {
    this.stop({ type: 'signal', signal }).catch(() => {}); // the outcome is watched by [onStopBegun]
  }

  /** @internal Follows a stop of the tree, whoever asked for it: its failure makes the exit code 1. */
  protected override [onStopBegun](stopping: Promise<void>): void {
    if (!this.#isWatching) return;
    this.#stopping = stopping.catch((error: unknown) => {
      this.#stopError = error;
      // a timeout was logged by the root of the stop, with what was stuck
      if (!(isServiceError(error) && error.code === 'ERR_STOP_TIMEOUT')) {
        this.logger.error({ service: this.path, err: error }, 'the stop failed');
      }
    });
  }

  /** @internal */
  protected override [onTransition](_from: ServiceState, to: ServiceState): void {
    if (to === 'running') this.#startupDone = true;
  }

  #onFatal(kind: string, error: unknown): void {
    this.#fatal = true;
    const state = this.state;
    if (state === 'starting' || state === 'running') {
      this.logger.error({ service: this.path }, `${kind}: stopping the tree`);
      this.crash(error); // logs the error, once, with its stack
    } else {
      this.logger.error({ service: this.path, err: error }, `${kind} while ${state}`);
    }
  }

  /**
   * Writes the tree and the main thread's part at once, then one block per ThreadService as the
   * capture of its thread settles (each step has a budget; cancelled when runUntilExit() ends).
   */
  #dump(): void {
    const now = this.scheduler.now();
    const lines = formatTree(this.toJSON(), now);
    const main = formatMainThread(this.#detector, now);
    const threads = threadTargets(this);
    if (threads.length > 0) main.push(`thread stacks follow: ${threads.map((t) => t.path).join(', ')}`);
    process.stderr.write(`── ${this.path} (pid ${process.pid}) ──\n${[...lines, ...main].join('\n')}\n`);
    const session = this.#session;
    if (threads.length === 0 || !session) return;
    const capture = new AbortController();
    const cancel = (): void => capture.abort();
    session.add(cancel);
    const write = (target: ThreadTarget, outcome: ThreadStackOutcome): void => {
      process.stderr.write(`${formatThreadStack(target.path, target.threadId, outcome).join('\n')}\n`);
    };
    captureThreadStacks(threads, write, { signal: capture.signal })
      .catch((error: unknown) => process.stderr.write(`thread stacks: the capture failed (${show(error)})\n`))
      .finally(() => session.remove(cancel));
  }
}
