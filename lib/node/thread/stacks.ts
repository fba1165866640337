/**
 * What each ThreadService's thread is doing at the moment of a SIGUSR1 dump. From the main thread,
 * an inspector session to itself reaches every thread's own inspector through Node's `NodeWorker`
 * domain; in each thread the debugger is enabled, a pause asked for, the call frames read and the
 * debugger disabled again (inspection.ts holds the session and the channels). Every step has a
 * budget, and the session is closed at the end.
 */
import type { Service } from '../../service.js';
import type { ThreadStackOutcome } from '../dump.js';
import { frameLines, isInternal, joinFrames, type CallFrame } from '../watchdog/capture.js';
import { Inspection, within, type ThreadChannel } from './inspection.js';
import { ThreadService } from './service.js';

/** A ThreadService of the dumped tree. */
export interface ThreadTarget {
  readonly path: string;
  /** Its thread, while it has one. */
  readonly threadId: number | undefined;
}

/** How long each step of a capture may take, in ms. */
export interface ThreadStackBudgets {
  /** For the inspector to list the thread once the session asked for the threads. */
  readonly attachMs: number;
  /** For the thread to answer a debugger command (it cannot in a long native call). */
  readonly answerMs: number;
  /** For the pause: a thread still running no JavaScript after it is idle. */
  readonly pauseMs: number;
}

/** The budgets of the SIGUSR1 dump. */
export const DUMP_BUDGETS: ThreadStackBudgets = { attachMs: 1000, answerMs: 2000, pauseMs: 200 };

/** The ThreadServices under `root` (itself included), depth first, with their current threads. */
export function threadTargets(root: Service<any>): ThreadTarget[] {
  const out: ThreadTarget[] = [];
  const visit = (service: Service<any>): void => {
    if (service instanceof ThreadService) out.push({ path: service.path, threadId: service.threadId });
    for (const child of service.children) visit(child);
  };
  visit(root);
  return out;
}

/** True while a capture runs: the inspector belongs to one capture at a time. */
let isCapturing = false;

const notCapturable = (reason: string): ThreadStackOutcome => ({ kind: 'none', reason });

/** Pauses one thread and reads its stack; an idle thread is said idle and its pending pause dropped. */
async function captureThread(
  channel: ThreadChannel,
  budgets: ThreadStackBudgets,
): Promise<ThreadStackOutcome> {
  const mute = (): undefined => undefined;
  const enabled = await within(
    channel.command('Debugger.enable').then(() => true),
    budgets.answerMs,
    () => false,
  );
  if (!enabled) {
    channel.command('Debugger.disable').catch(mute); // when it answers at last; the detach ends it anyway
    return notCapturable(
      `the thread did not answer the inspector within ${budgets.answerMs} ms (in a long native call?)`,
    );
  }
  try {
    const paused = channel.nextPause();
    paused.catch(mute);
    let refused: Error | undefined;
    channel.command('Debugger.pause').catch((error: Error) => (refused = error));
    const frames = await within<CallFrame[] | undefined>(paused, budgets.pauseMs, mute);
    if (frames === undefined) {
      if (refused) return notCapturable(`the thread refused the pause (${refused.message})`);
      return { kind: 'idle', detail: 'waiting for messages' };
    }
    const lines = frameLines(frames, channel.scripts);
    await within(channel.command('Debugger.resume'), budgets.answerMs, mute);
    if (lines.every(isInternal)) return { kind: 'idle', detail: 'between two tasks' };
    return { kind: 'stack', stack: joinFrames(lines) };
  } finally {
    // Disabling the debugger drops a pause still pending (an idle thread's); the detach at the end
    // lets go of any pause left in force.
    await within(channel.command('Debugger.disable').catch(mute), budgets.answerMs, mute);
  }
}

/** Options of {@link captureThreadStacks}. */
export interface CaptureThreadStacksOptions {
  /** Ends the capture early: what is still pending settles as not capturable. */
  readonly signal?: AbortSignal;
  /** @defaultValue {@link DUMP_BUDGETS} */
  readonly budgets?: ThreadStackBudgets;
}

/**
 * Captures what each target's thread is doing and calls `onSettled` once per target, as soon as
 * its capture settles; resolves once all have. Never rejects.
 *
 * @remarks A thread running JavaScript pauses at once and gives its stack (mapped through source
 * maps); an idle thread runs none, so after `pauseMs` it is `idle` and the pending pause is
 * dropped. Not capturable (with why): a Node without the inspector, an inspector already open
 * (`--inspect`: a debugger's pauses are not ours to mix with), a capture of an earlier dump still
 * under way, a thread the inspector does not list or that does not answer (a long native call).
 * @example
 * ```ts
 * await captureThreadStacks(threadTargets(worker), (target, outcome) =>
 *   process.stderr.write(formatThreadStack(target.path, target.threadId, outcome).join('\n') + '\n'),
 * );
 * ```
 */
export async function captureThreadStacks(
  targets: readonly ThreadTarget[],
  onSettled: (target: ThreadTarget, outcome: ThreadStackOutcome) => void,
  options: CaptureThreadStacksOptions = {},
): Promise<void> {
  const budgets = options.budgets ?? DUMP_BUDGETS;
  const settle = (target: ThreadTarget, outcome: ThreadStackOutcome): void => {
    try {
      onSettled(target, outcome);
    } catch {
      // a failing writer must not stop the other blocks
    }
  };
  const running = targets.filter((target) => target.threadId !== undefined);
  for (const target of targets) {
    if (target.threadId === undefined) settle(target, notCapturable('no thread is running'));
  }
  if (running.length === 0) return;
  const refuse = (why: string): void => {
    for (const target of running) settle(target, notCapturable(why));
  };
  if (isCapturing) {
    refuse('the capture of an earlier dump is still under way');
    return;
  }
  isCapturing = true;
  try {
    const inspector = await loadInspector();
    if (typeof inspector === 'string') {
      refuse(inspector);
      return;
    }
    const session = new inspector.Session();
    try {
      session.connect();
    } catch (error) {
      refuse(`no inspector session (${(error as Error).message})`);
      return;
    }
    await captureAll(new Inspection(session), running, settle, budgets, options.signal);
  } finally {
    isCapturing = false;
  }
}

/** Runs the captures of `targets` over one session, which it closes at the end. */
async function captureAll(
  inspection: Inspection,
  targets: readonly ThreadTarget[],
  settle: (target: ThreadTarget, outcome: ThreadStackOutcome) => void,
  budgets: ThreadStackBudgets,
  signal: AbortSignal | undefined,
): Promise<void> {
  const onAbort = (): void => inspection.close('the Worker stopped during the capture');
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    try {
      await inspection.listThreads();
    } catch (error) {
      for (const target of targets) {
        settle(target, notCapturable(`the inspector refused (${(error as Error).message})`));
      }
      return;
    }
    await Promise.all(
      targets.map(async (target) => {
        let outcome: ThreadStackOutcome;
        try {
          const channel = await inspection.channel(target.threadId!, budgets.attachMs);
          outcome = channel
            ? await captureThread(channel, budgets)
            : notCapturable(
                signal?.aborted
                  ? 'the Worker stopped during the capture'
                  : 'the inspector does not list the thread',
              );
        } catch (error) {
          outcome = notCapturable((error as Error).message);
        }
        settle(target, outcome);
      }),
    );
  } finally {
    signal?.removeEventListener('abort', onAbort);
    inspection.close('the capture ended');
  }
}

/** `node:inspector`, or why there is none (a Node built without it), or why it is not ours to use. */
async function loadInspector(): Promise<typeof import('node:inspector') | string> {
  let inspector: typeof import('node:inspector');
  try {
    inspector = await import('node:inspector');
  } catch (error) {
    return `this Node has no inspector (${(error as Error).message})`;
  }
  if (inspector.url() !== undefined) {
    return 'an inspector is open (--inspect): the dump does not pause threads under a debugger';
  }
  return inspector;
}
