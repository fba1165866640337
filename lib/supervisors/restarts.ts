/**
 * Restart execution for a supervisor: the restarts it decided (stop phase in reverse order, backoff
 * wait that a stop ends early, replacement, start phase in children order), the starts of added
 * children, and the generation that tells work of an earlier run of the supervisor from current work.
 */
import { show } from '../internal/format.js';
import { noop } from '../internal/noop.js';
import { Service } from '../service.js';
import type { ServiceState } from '../state.js';
import { Launcher, stopActive } from './child-ops.js';
import { restartCompanions, type Strategy } from './decide.js';
import type { ReplacementFactory } from './options.js';
import type { ChildWatch } from './watch.js';

/** @internal A restart decided but not finished; failures before its start phase join it. */
export interface RestartJob {
  /** The children whose failure decided it (replaced when `replacement` is set). */
  readonly failed: Set<Service<any>>;
  /** Every child it starts again. */
  readonly restart: Set<Service<any>>;
  readonly attempt: number;
  readonly delayMs: number;
  readonly generation: number;
}

/** @internal What the runner needs of its supervisor beyond the public API of a Service. */
export interface RestartHost {
  /** Puts `child` at `index` among the children (the supervisor's `insertChild`). */
  place(index: number, child: Service<any>): void;
  /** `child` failed again (a start, restart or replacement failed): decide on it as a crash. */
  crashed(child: Service<any>, error: unknown): void;
}

/** @internal Runs the restarts and starts of one supervisor. */
export class RestartRunner {
  readonly #owner: Service<any>;
  readonly #host: RestartHost;
  readonly #watch: ChildWatch;
  readonly #scope: Strategy['scope'];
  readonly #replacement: ReplacementFactory | undefined;
  readonly #launcher: Launcher;
  readonly #pending = new Set<RestartJob>();
  #chain: Promise<void> = Promise.resolve();
  #generation = 0;
  #leftStarting: Promise<void> | undefined;
  #markLeftStarting: (() => void) | undefined;

  constructor(
    owner: Service<any>,
    host: RestartHost,
    watch: ChildWatch,
    scope: Strategy['scope'],
    replacement: ReplacementFactory | undefined,
  ) {
    this.#owner = owner;
    this.#host = host;
    this.#watch = watch;
    this.#scope = scope;
    this.#replacement = replacement;
    this.#launcher = new Launcher(owner);
  }

  /** The current run of the supervisor. */
  get generation(): number {
    return this.#generation;
  }

  /** A new start of the supervisor: a new generation, no restart pending. */
  newRun(): void {
    this.#generation++;
    this.#pending.clear();
  }

  /** The supervisor moved from `from`: a move out of `starting` wakes `untilRunning`. */
  moved(from: ServiceState): void {
    if (from !== 'starting' || !this.#markLeftStarting) return;
    this.#markLeftStarting();
    this.#markLeftStarting = this.#leftStarting = undefined;
  }

  /** Resolves once every start in flight has begun or settled (the supervisor's stop waits for it). */
  begun(): Promise<void> | undefined {
    return this.#launcher.begun();
  }

  /** The restart, not yet in its start phase, that a failure of `child` joins. */
  pendingFor(child: Service<any>): RestartJob | undefined {
    for (const job of this.#pending) if (this.#scope !== 'one' || job.failed.has(child)) return job;
    return undefined;
  }

  /** A failure of `child` joins `job`. */
  join(job: RestartJob, child: Service<any>): void {
    job.failed.add(child);
    job.restart.add(child);
  }

  /** A new restart of `child`, pending until its start phase; `schedule` runs it. */
  add(child: Service<any>, attempt: number, delayMs: number): RestartJob {
    const job: RestartJob = {
      failed: new Set([child]),
      restart: new Set([child]),
      attempt,
      delayMs,
      generation: this.#generation,
    };
    this.#pending.add(job);
    return job;
  }

  /** Runs `job` after the current call stack; group restarts run one after another. */
  schedule(job: RestartJob): void {
    if (this.#scope === 'one') {
      this.later(() => this.#run(job));
      return;
    }
    const run = this.#chain.then(() => this.#run(job));
    this.#chain = run.then(noop, noop);
    run.catch((error: unknown) => this.#internalError(error));
  }

  /** Runs `work` after the current call stack, so a crash in progress is never re-entered. */
  later(work: () => Promise<void>): void {
    Promise.resolve()
      .then(work)
      .catch((error: unknown) => this.#internalError(error));
  }

  /** ForfeitOneForAll: every other child is stopped, in reverse order. */
  async stopOthers(crashed: Service<any>): Promise<void> {
    const generation = this.#generation;
    await stopActive(
      this.#owner.children.filter((c) => c !== crashed),
      { type: 'supervisor', decision: 'forfeit' },
      () => this.#isCurrent(generation),
      (child, error) => this.#stopFailed(child, error),
    );
  }

  /** Starts services added to the supervisor in run `generation`, once it runs. */
  async startAdded(services: readonly Service<any>[], generation: number): Promise<void> {
    if (!(await this.#untilRunning(generation))) return;
    for (const service of services) {
      if (!this.#mayStart(service, generation)) continue;
      await this.#launcher.launch(service, 'start', (error) => this.#host.crashed(service, error));
    }
  }

  /**
   * `insert()`: detaches the child at `index`, puts `service` there and, on a running (or starting)
   * supervisor, starts it; rejects with the old child's stop error once the new one is in place.
   */
  async insert(index: number, service: Service<any>): Promise<void> {
    const owner = this.#owner;
    const old = owner.children[index];
    let failure: { error: unknown } | undefined;
    if (old) await owner.removeDependency(old).catch((error: unknown) => (failure = { error }));
    this.#host.place(Math.min(index, owner.children.length), service);
    const state = owner.state;
    if (state === 'running' || state === 'starting') await this.startAdded([service], this.#generation);
    if (failure) throw failure.error;
  }

  #internalError(error: unknown): void {
    this.#owner.logger.error({ service: this.#owner.path, err: error }, 'supervisor failed');
    this.#owner.crash(error);
  }

  /** Stop phase (group strategies), backoff delay, then the start phase in children order. */
  async #run(job: RestartJob): Promise<void> {
    const group = this.#scope !== 'one';
    try {
      if (group) await this.#stopMembers(job);
      if (job.delayMs > 0 && !(await this.#owner.sleep(job.delayMs))) return;
      if (!(await this.#untilRunning(job.generation))) return;
      if (group) await this.#stopMembers(job); // members that joined during the wait
      if (!this.#isCurrent(job.generation)) return;
    } finally {
      this.#pending.delete(job);
    }
    const order = this.#owner.children.filter((c) => job.restart.has(c));
    for (let i = 0; i < order.length; i++) {
      if (!this.#isCurrent(job.generation)) return;
      const next = group ? this.#pending.values().next().value : undefined;
      if (next) {
        // a child failed to start again: a newer group restart takes over what is left
        for (const rest of order.slice(i)) next.restart.add(rest);
        return;
      }
      const child = order[i]!;
      await this.#restartChild(child, job.failed.has(child), job.generation);
    }
  }

  /** Stops the running members of a group restart in reverse order; they will start again. */
  async #stopMembers(job: RestartJob): Promise<void> {
    const members = restartCompanions(this.#scope, this.#owner.children, job.failed);
    for (const child of members) if (child.state === 'init') job.restart.add(child);
    await stopActive(
      members,
      { type: 'supervisor', decision: 'restart' },
      () => this.#isCurrent(job.generation),
      (child, error) => this.#stopFailed(child, error),
      (child) => job.restart.add(child),
    );
  }

  #stopFailed(child: Service<any>, error: unknown): void {
    const fields = { service: this.#owner.path, child: child.path, err: error };
    this.#owner.logger.warn(fields, 'a child failed to stop cleanly');
  }

  /** Waits for the crash teardown, then restarts the child (or starts its replacement). */
  async #restartChild(child: Service<any>, failed: boolean, generation: number): Promise<void> {
    if (child.state === 'crashed' || child.state === 'stopping') await child.waitUntilStopped();
    if (!this.#mayStart(child, generation)) return;
    let target: Service<any> | undefined = child;
    if (failed && this.#replacement) target = await this.#replace(child, this.#replacement, generation);
    if (!target) return;
    const how = target === child ? 'restart' : 'start';
    await this.#launcher.launch(target, how, (error) => this.#host.crashed(target, error));
  }

  /** Puts the replacement of a crashed child in its slot; a failing factory counts as a crash. */
  async #replace(
    crashed: Service<any>,
    replacement: ReplacementFactory,
    generation: number,
  ): Promise<Service<any> | undefined> {
    const owner = this.#owner;
    let fresh: Service<any>;
    try {
      fresh = await replacement(crashed, owner.children.indexOf(crashed));
      if (!(fresh instanceof Service))
        throw new TypeError(`replacement must return a Service; received ${show(fresh)}`);
      if (fresh.parent === owner) throw new TypeError(`replacement returned ${fresh.path}, already a child`);
    } catch (error) {
      this.#host.crashed(crashed, error);
      return undefined;
    }
    if (!this.#mayStart(crashed, generation)) return undefined;
    const index = owner.children.indexOf(crashed);
    const attempts = this.#watch.get(crashed).attempts;
    await owner.removeDependency(crashed);
    try {
      this.#host.place(index, fresh);
    } catch (error) {
      this.#host.place(index, crashed);
      this.#host.crashed(crashed, error);
      return undefined;
    }
    this.#watch.get(fresh).attempts.copyFrom(attempts);
    return this.#mayStart(fresh, generation) ? fresh : undefined;
  }

  #isCurrent(generation: number): boolean {
    return generation === this.#generation && !this.#owner.shouldStop;
  }

  #mayStart(child: Service<any>, generation: number): boolean {
    const owner = this.#owner;
    if (generation !== this.#generation || owner.state !== 'running' || child.parent !== owner) return false;
    const state = child.state;
    return state === 'init' || state === 'stopped' || state === 'crashed';
  }

  /** Waits while the supervisor is starting; true when it then runs in the same generation. */
  async #untilRunning(generation: number): Promise<boolean> {
    if (this.#owner.state === 'starting') {
      await (this.#leftStarting ??= new Promise<void>((resolve) => (this.#markLeftStarting = resolve)));
    }
    return this.#owner.state === 'running' && generation === this.#generation;
  }
}
