// Fixture for spec/legacy-decorators.spec.ts: exercises @task, @timer, @crontab and @transitionsTo
// compiled with `experimentalDecorators: true` (run it with TSX_TSCONFIG_PATH pointing at this
// folder's tsconfig) and prints what it saw as one JSON object on stdout.
import { Service, crontab, task, timer, transitionsTo, type TimerTick } from '../../lib/index.js';
import { createVirtualClock } from '../../lib/testing/index.js';

/** A method decorator that records how it was called: 3 arguments in legacy mode, 2 in standard. */
const decoratorCalls: { count: number; third: string }[] = [];
function recordCall(...args: unknown[]): void {
  decoratorCalls.push({ count: args.length, third: typeof args[2] });
}

const clock = createVirtualClock();
const scheduler = clock.scheduler;

class Worker extends Service {
  readonly taskCalls: { isThis: boolean; isSignal: boolean }[] = [];
  readonly ticks: [number, number][] = [];
  readonly eager: number[] = [];
  readonly cron: string[] = [];
  flushed = 0;
  /** Lets the drain task of the current stop finish. */
  releaseFlush: (() => void) | undefined;
  syncSeen: boolean | undefined;

  @recordCall
  probe(): void {}

  @task
  consume(signal: AbortSignal): Promise<void> {
    this.taskCalls.push({ isThis: this instanceof Worker, isSignal: signal === this.signal });
    return new Promise<void>(() => {});
  }

  @task({ drain: true })
  async flush(signal: AbortSignal): Promise<void> {
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
    await new Promise<void>((resolve) => (this.releaseFlush = resolve));
    this.flushed++;
  }

  @timer('10ms')
  beat(tick: TimerTick): Promise<void> {
    this.ticks.push([tick.index, tick.scheduledAt]);
    return new Promise<void>((resolve) => scheduler.schedule(() => resolve(), tick.index === 0 ? 15 : 0));
  }

  @timer('10ms', { execFirst: true })
  early(tick: TimerTick): void {
    this.eager.push(tick.scheduledAt);
  }

  @crontab('* * * * * *', { timezone: 'UTC' })
  everySecond(): void {
    this.cron.push(new Date(scheduler.now()).toISOString());
  }

  @transitionsTo('compacting')
  compact(): string {
    this.syncSeen = this.diag.flags.has('compacting');
    return 'compacted';
  }

  @transitionsTo('syncing')
  async sync(until: Promise<void>): Promise<string> {
    await until;
    return 'synced';
  }
}

const log: string[] = [];
class Base extends Service {
  @task
  async work(): Promise<void> {
    log.push('base');
  }
  @task
  async inherited(): Promise<void> {
    log.push('inherited');
  }
  @timer('10ms')
  pace(tick: TimerTick): void {
    log.push(`base pace ${tick.scheduledAt}`);
  }
}
class Derived extends Base {
  @task
  override async work(): Promise<void> {
    log.push('derived');
  }
  @timer('25ms')
  override pace(tick: TimerTick): void {
    log.push(`derived pace ${tick.scheduledAt}`);
  }
}

async function main(): Promise<void> {
  const out: Record<string, unknown> = {};
  out.decoratorCalls = decoratorCalls;

  // transitionsTo
  scheduler.frame = 100;
  const w = new Worker({ name: 'W', scheduler, stopTimeout: 1000 });
  out.compact = w.compact();
  out.syncSeen = w.syncSeen;
  out.flagsAfterSync = [...w.diag.flags];
  let release!: () => void;
  const syncing = w.sync(new Promise<void>((resolve) => (release = resolve)));
  out.flagsDuringAsync = [...w.diag.flags];
  out.setAt = w.diag.lastTransition.get('syncing');
  scheduler.frame = 180;
  release();
  out.syncResult = await syncing;
  out.flagsAfterAsync = [...w.diag.flags];
  out.unsetAt = w.diag.lastTransition.get('syncing');

  // tasks, timers, cron: one run of 40 ms from 2024-01-01T00:00:00Z, then 3 s more
  scheduler.frame = Date.UTC(2024, 0, 1, 0, 0, 0);
  const start = scheduler.frame;
  const overlaps: string[] = [];
  const stuck: string[] = [];
  w.events$.subscribe((e) => {
    if (e.type === 'timer-overlap') overlaps.push(e.timer);
    if (e.type === 'stop-timeout') stuck.push(...e.stuck.map((s) => s.phase));
  });
  await w.start();
  await clock.advance(40);
  out.ticks = w.ticks.map(([index, at]) => [index, at - start]);
  out.eager = w.eager.map((at) => at - start);
  out.overlaps = overlaps;
  await clock.advance(2960);
  out.cron = w.cron;
  out.taskCalls = [...w.taskCalls];
  const stopping = w.stop().then(
    () => 'stopped',
    (error: { code?: string }) => error.code,
  );
  await clock.advance(1000);
  out.firstStop = await stopping;
  out.stuck = stuck;
  for (let run = 2; run <= 3; run++) {
    await w.start();
    const again = w.stop();
    await clock.flush();
    out[`flushedBeforeRelease${run}`] = w.flushed;
    w.releaseFlush?.();
    await again;
    out[`flushedAfterRelease${run}`] = w.flushed;
  }
  out.taskCallsAfterThreeRuns = w.taskCalls.length;

  // subclasses
  const d = new Derived({ scheduler });
  const dStart = scheduler.frame;
  await d.start();
  await clock.advance(50);
  await d.stop();
  out.subclass = log.map((line) => line.replace(/\d+$/, (n) => String(Number(n) - dStart)));

  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`);
  process.exitCode = 1;
});
