/**
 * The main demo: a small app run by a Worker. A producer ticks out jobs, a flaky consumer under a
 * OneForOneSupervisor handles them (every 7th job is poisoned: the consumer crashes and is
 * restarted with backoff), and a hasher ThreadService does the CPU work in a worker thread. Health
 * probes and the live dashboard (with its control buttons: loopback only) listen on a local port;
 * Ctrl-C (or `kill -TERM`) shows the drain and the graceful stop (npm and tsx relaying the same
 * Ctrl-C do not count as a second one), a second Ctrl-C later forces exit code 130, and
 * `kill -USR1 <pid>` prints the tree.
 *
 *   npm start                 (or: npx tsx demos/worker.ts)
 *   npx tsx demos/worker.ts 8 (stops itself after 8 seconds)
 */
import { createHash } from 'node:crypto';
import { isMainThread } from 'node:worker_threads';
import { Subject, concatMap } from 'rxjs';
import { OneForOneSupervisor, Service } from '../lib/index.js';
import { ThreadService, Worker } from '../lib/node/index.js';

/** Runs in the worker thread (this same file is its module): CPU work off the main event loop. */
export class Hasher extends Service {
  hash(text: string, rounds: number): string {
    let digest = text;
    for (let i = 0; i < rounds; i++) digest = createHash('sha256').update(digest).digest('hex');
    return digest;
  }
}

/** Ticks out job numbers. */
class Producer extends Service {
  readonly jobs$ = new Subject<number>();
  constructor() {
    super({ name: 'Producer' });
    this.addTimer('400ms', (tick) => this.jobs$.next(tick.index + 1), { name: 'tick' });
  }
}

/** Hashes each job in the thread; crashes on a poisoned job (the supervisor restarts it). */
class Consumer extends Service<string> {
  constructor(
    readonly producer: Producer,
    readonly hasher: ThreadService<never, Hasher>,
  ) {
    super({ name: 'Consumer' });
  }
  protected override run() {
    return this.producer.jobs$.pipe(
      concatMap(async (job) => {
        if (job % 7 === 0) throw new Error(`job ${job} is poisoned`);
        const digest = await this.hasher.call('hash', `job-${job}`, 20_000);
        if (!this.shouldStop)
          this.logger.info({ service: this.path }, `job ${job} → ${digest.slice(0, 16)}…`);
        return digest;
      }),
    );
  }
}

async function main(): Promise<void> {
  const hasher = new ThreadService<never, Hasher>(new URL(import.meta.url), { export: 'Hasher' });
  const producer = new Producer();
  const consumers = new OneForOneSupervisor({
    name: 'Consumers',
    maxRestarts: 5,
    over: '10s',
    backoff: { initial: '200ms', max: '2s' },
  });
  consumers.add(new Consumer(producer, hasher));

  const worker = new Worker(hasher, producer, consumers, {
    shutdownTimeout: '10s',
    drainDelay: '1s',
    health: { port: Number(process.env.PORT ?? 0), host: '127.0.0.1' },
    dashboard: { control: true }, // bound to 127.0.0.1 above: never expose control publicly
  });
  worker.state$.subscribe((state) => {
    if (state !== 'running') return;
    const url = `http://127.0.0.1:${worker.healthAddress?.port}`;
    console.log(`\n  dashboard: ${url}/dashboard  ·  metrics: curl ${url}/metrics`);
    console.log(`  probes: curl ${url}/readyz  ·  tree: curl ${url}/state  ·  kill -USR1 ${process.pid}`);
    console.log('  Ctrl-C: readiness turns 503, then the tree stops in reverse order (twice: at once)\n');
  });
  const seconds = Number(process.argv[2]);
  if (seconds > 0) setTimeout(() => process.kill(process.pid, 'SIGINT'), seconds * 1000).unref();
  await worker.execute();
}

if (isMainThread) await main();
