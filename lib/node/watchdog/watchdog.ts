/**
 * The main thread's side of a BlockingDetector's watchdog thread: boots it, answers its pings from
 * the event loop (an unanswered ping is how the thread sees a stall), tells it the labels of the
 * running board, and reads the reports it filed while the loop was blocked.
 */
import type { Worker as NodeWorker } from 'node:worker_threads';
import { launchThread, shippedModule } from '../thread/boot.js';
import { runningBoard } from './board.js';
import {
  CONTROL_SLOTS,
  REPORT_BYTES,
  Slot,
  type FromWatchdog,
  type StallLog,
  type StallReport,
  type ToWatchdog,
  type WatchdogData,
} from './protocol.js';

/** The watchdog thread's program, under the rxmode/node folder. */
const ENTRY = 'watchdog/entry';

/** How long the thread may take to boot (tsx, from source, on a loaded machine is the slow case). */
const BOOT_TIMEOUT_MS = 10_000;

/** Options of {@link Watchdog.start}. */
export interface WatchdogOptions {
  readonly timeoutMs: number;
  readonly pollMs: number;
  readonly captureStack: boolean;
  readonly log: StallLog | undefined;
  /** The thread's name (shown by debuggers and in `process.report`). */
  readonly name: string;
}

type InspectorUrl = () => string | undefined;

/** `inspector.url`, or a function saying there is none when this Node has no inspector. */
async function loadInspectorUrl(): Promise<InspectorUrl> {
  try {
    const inspector = await import('node:inspector');
    return () => inspector.url();
  } catch {
    return () => undefined;
  }
}

/** @internal One watchdog thread, seen from the main thread. */
export class Watchdog {
  readonly #worker: NodeWorker;
  readonly #control: Int32Array;
  readonly #report: Uint8Array;
  readonly #unfollow: () => void;
  #consumed = 0;
  #isAlive = true;

  private constructor(worker: NodeWorker, data: WatchdogData, inspectorUrl: InspectorUrl) {
    this.#worker = worker;
    this.#control = new Int32Array(data.control);
    this.#report = new Uint8Array(data.report);
    const control = this.#control;
    worker.on('message', (message: FromWatchdog) => {
      if (message.type !== 'ping') return;
      Atomics.store(control, Slot.inspectorOpen, inspectorUrl() === undefined ? 0 : 1);
      Atomics.store(control, Slot.answered, message.seq);
    });
    worker.on('exit', () => (this.#isAlive = false));
    worker.on('error', () => (this.#isAlive = false)); // it exits next; without a listener it would throw here
    this.#unfollow = runningBoard().follow((id, label) => this.#post({ type: 'label', id, label }));
  }

  /**
   * Boots a watchdog thread and resolves once it runs.
   *
   * @throws Error when the thread entry cannot be found (a bundle that merged the modules) or the
   * thread fails to boot.
   */
  static async start(options: WatchdogOptions): Promise<Watchdog> {
    const entry = shippedModule(ENTRY);
    if (!entry) throw new Error('cannot locate the rxmode/node watchdog entry (a bundle?)');
    const inspectorUrl = await loadInspectorUrl();
    const board = runningBoard();
    const data: WatchdogData = {
      control: new SharedArrayBuffer(CONTROL_SLOTS * 4),
      board: board.buffer,
      report: new SharedArrayBuffer(REPORT_BYTES),
      labels: board.labels(),
      timeoutMs: options.timeoutMs,
      pollMs: options.pollMs,
      captureStack: options.captureStack,
      log: options.log,
    };
    const worker = launchThread(entry, {
      workerData: data,
      execArgv: [],
      name: options.name,
      stdout: false,
      stderr: false,
    });
    worker.unref();
    const watchdog = new Watchdog(worker, data, inspectorUrl);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`the watchdog thread did not start within ${BOOT_TIMEOUT_MS} ms`)),
          BOOT_TIMEOUT_MS,
        );
        timer.unref();
        const settle = (error?: Error): void => {
          clearTimeout(timer);
          worker.off('message', onMessage).off('error', settle).off('exit', onExit);
          if (error) reject(error);
          else resolve();
        };
        const onMessage = (message: FromWatchdog): void => {
          if (message.type === 'ready') settle();
        };
        const onExit = (code: number): void => settle(new Error(`the watchdog thread exited (${code})`));
        worker.on('message', onMessage).on('error', settle).on('exit', onExit);
      });
    } catch (error) {
      await watchdog.stop();
      throw error;
    }
    return watchdog;
  }

  /** True while the thread is capturing a stall (its report is not filed yet). */
  get isCapturing(): boolean {
    return Atomics.load(this.#control, Slot.capturing) === 1;
  }

  /** The report filed since the last call, if any. */
  takeReport(): StallReport | undefined {
    const filed = Atomics.load(this.#control, Slot.reports);
    if (filed === this.#consumed) return undefined;
    this.#consumed = filed;
    const length = Atomics.load(this.#control, Slot.reportBytes);
    return JSON.parse(new TextDecoder().decode(this.#report.slice(0, length))) as StallReport;
  }

  /** Ends the thread; the running board is left when no other watchdog follows it. */
  async stop(): Promise<void> {
    this.#unfollow();
    this.#worker.removeAllListeners('message');
    if (this.#isAlive) await this.#worker.terminate();
  }

  #post(message: ToWatchdog): void {
    if (this.#isAlive) this.#worker.postMessage(message);
  }
}
