/**
 * Replica processes for the failover suite: each runs `spec/e2e/fixtures/leader-replica.ts` under
 * tsx and reports what it does as `@@ <json>` lines, which are collected here with the time they
 * arrived. Killed at the end of the test process whatever happened to the specs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** One line a replica reported. `at` is the replica's `Date.now()` when it wrote it. */
export interface ReplicaEvent {
  readonly e: 'up' | 'leader' | 'write' | 'write-error' | 'child-stop' | 'exit';
  readonly replica: string;
  readonly at: number;
  readonly leader?: boolean;
  readonly token?: string;
  readonly ok?: boolean;
  readonly reason?: string;
  readonly error?: string;
  readonly code?: number;
}

/** How a replica is started. */
export interface ReplicaOptions {
  readonly engine: string;
  readonly address: string;
  readonly name: string;
  readonly lease: string;
  readonly ttlMs: number;
}

const SCRIPT = fileURLToPath(new URL('../fixtures/leader-replica.ts', import.meta.url));
const alive = new Set<ChildProcess>();
process.once('exit', () => alive.forEach((child) => child.kill('SIGKILL')));

/** A replica process and what it reported so far. */
export class Replica {
  readonly name: string;
  readonly events: ReplicaEvent[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #child: ChildProcess;
  #output = '';
  #listeners = new Set<() => void>();
  #ended = false;

  constructor(options: ReplicaOptions) {
    this.name = options.name;
    this.#child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        NO_COLOR: '1',
        ENGINE: options.engine,
        ENGINE_ADDRESS: options.address,
        REPLICA: options.name,
        LEASE_NAME: options.lease,
        TTL_MS: String(options.ttlMs),
      },
    });
    alive.add(this.#child);
    let partial = '';
    this.#child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('@@ ')) this.events.push(JSON.parse(line.slice(3)) as ReplicaEvent);
        else this.#output += `${line}\n`;
      }
      this.#notify();
    });
    this.#child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.#output += chunk));
    this.exited = new Promise((resolve) => {
      this.#child.once('close', (code, signal) => {
        this.#ended = true;
        alive.delete(this.#child);
        this.#notify();
        resolve({ code, signal });
      });
    });
  }

  /** What the replica wrote besides its reports (its log), for failure messages. */
  get output(): string {
    return this.#output;
  }

  /** The last `leader` report says it leads. */
  get isLeader(): boolean {
    const last = this.events.filter((e) => e.e === 'leader').at(-1);
    return last?.leader === true;
  }

  get pid(): number {
    return this.#child.pid!;
  }

  signal(signal: NodeJS.Signals): void {
    this.#child.kill(signal);
  }

  /**
   * Resolves with the first report from index `from` on that satisfies `match`; rejects after
   * `timeoutMs`, or when the process ended first, with what it printed.
   */
  waitFor(
    match: (event: ReplicaEvent) => boolean,
    timeoutMs: number,
    what: string,
    from = 0,
    signal?: AbortSignal,
  ): Promise<ReplicaEvent> {
    return new Promise((resolve, reject) => {
      const onAbort = (): void =>
        finish(() => reject(new Error(`${this.name}: gave up waiting for ${what}`)));
      const check = (): void => {
        const found = this.events.slice(from).find(match);
        if (found) return finish(() => resolve(found));
        if (this.#ended)
          return finish(() => reject(new Error(`${this.name} exited before ${what}:\n${this.#output}`)));
      };
      const timer = setTimeout(
        () =>
          finish(() =>
            reject(new Error(`${this.name}: no ${what} within ${timeoutMs} ms:\n${this.#output}`)),
          ),
        timeoutMs,
      );
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#listeners.delete(check);
        settle();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#listeners.add(check);
      check();
    });
  }

  /** Kills the process with SIGKILL (after SIGCONT, in case it was stopped) unless it ended. */
  async kill(): Promise<void> {
    if (!this.#ended) {
      this.#child.kill('SIGCONT');
      this.#child.kill('SIGKILL');
    }
    await this.exited;
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

/**
 * Resolves with the replica among `replicas` that reports a term beginning (a `leader: true` report
 * after index `since[name]`, default the current length of its events), the first one to do so.
 */
export function nextLeader(
  replicas: readonly Replica[],
  timeoutMs: number,
  since: ReadonlyMap<Replica, number> = new Map(replicas.map((r) => [r, r.events.length])),
): Promise<{ replica: Replica; event: ReplicaEvent }> {
  const controller = new AbortController();
  return Promise.any(
    replicas.map((replica) =>
      replica
        .waitFor(
          (e) => e.e === 'leader' && e.leader === true,
          timeoutMs,
          'a term',
          since.get(replica) ?? 0,
          controller.signal,
        )
        .then((event) => ({ replica, event })),
    ),
  ).finally(() => controller.abort());
}
