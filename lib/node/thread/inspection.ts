/**
 * The inspector plumbing of the thread stacks: one session from the main thread to itself, Node's
 * `NodeWorker` domain to reach each thread's own inspector, and a channel per thread that sends
 * debugger commands and routes back their replies and notifications.
 */
import type { Session } from 'node:inspector';
import { noteScript, type CallFrame, type Script } from '../watchdog/capture.js';

/** @internal Resolves with `promise`, or with `fallback()` once `ms` passed (the timer does not hold the process). */
export function within<T>(promise: Promise<T>, ms: number, fallback: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback()), ms);
    timer.unref();
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** @internal The inspector session of one thread, reached through the main thread's session. */
export class ThreadChannel {
  readonly scripts = new Map<string, Script>();
  readonly #send: (message: string) => Promise<void>;
  readonly #replies = new Map<number, { resolve(result: unknown): void; reject(error: Error): void }>();
  #nextId = 0;
  #onPaused: ((frames: CallFrame[]) => void) | undefined;
  readonly #onGone = new Set<(error: Error) => void>();
  #gone: Error | undefined;

  constructor(send: (message: string) => Promise<void>) {
    this.#send = send;
  }

  /** Sends a command; resolves with its result, rejects with its error or once the channel is gone. */
  command(method: string): Promise<unknown> {
    if (this.#gone) return Promise.reject(this.#gone);
    const id = ++this.#nextId;
    return new Promise<unknown>((resolve, reject) => {
      this.#replies.set(id, { resolve, reject });
      this.#send(JSON.stringify({ id, method })).catch((error: Error) => {
        this.#replies.delete(id);
        reject(error);
      });
    });
  }

  /** Resolves with the frames of the next pause; rejects once the channel is gone. */
  nextPause(): Promise<CallFrame[]> {
    if (this.#gone) return Promise.reject(this.#gone);
    return new Promise<CallFrame[]>((resolve, reject) => {
      const gone = (error: Error): void => reject(error);
      this.#onGone.add(gone);
      this.#onPaused = (frames) => {
        this.#onGone.delete(gone);
        resolve(frames);
      };
    });
  }

  receive(text: string): void {
    let message: {
      id?: number;
      method?: string;
      params?: any;
      result?: unknown;
      error?: { message: string };
    };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return;
    }
    if (message.id !== undefined) {
      const reply = this.#replies.get(message.id);
      this.#replies.delete(message.id);
      if (message.error) reply?.reject(new Error(message.error.message));
      else reply?.resolve(message.result);
    } else if (message.method === 'Debugger.scriptParsed') {
      noteScript(this.scripts, message.params);
    } else if (message.method === 'Debugger.paused') {
      const paused = this.#onPaused;
      this.#onPaused = undefined;
      paused?.(message.params.callFrames as CallFrame[]);
    }
  }

  /** Ends the channel: whatever waits on it rejects with `reason`. */
  close(reason: string): void {
    if (this.#gone) return;
    this.#gone = new Error(reason);
    for (const reply of this.#replies.values()) reply.reject(this.#gone);
    this.#replies.clear();
    for (const gone of this.#onGone) gone(this.#gone);
    this.#onGone.clear();
    this.#onPaused = undefined;
  }
}

/** @internal The main thread's session and the threads it is attached to. */
export class Inspection {
  readonly #session: Session;
  /** Session ids by thread id (as a string). */
  readonly #attached = new Map<string, string>();
  readonly #channels = new Map<string, ThreadChannel>();
  readonly #onAttach = new Set<() => void>();
  #closed: string | undefined;

  constructor(session: Session) {
    this.#session = session;
    session.on('NodeWorker.attachedToWorker', ({ params }) => {
      // The inspector numbers its own workerId; the thread id is in the title: `[worker 4] name`.
      const threadId = /^\[worker (\d+)\]/.exec(params.workerInfo.title)?.[1];
      if (threadId !== undefined) this.#attached.set(threadId, params.sessionId);
      for (const listener of this.#onAttach) listener();
    });
    session.on('NodeWorker.detachedFromWorker', ({ params }) =>
      this.#channels.get(params.sessionId)?.close('the thread exited during the capture'),
    );
    session.on('NodeWorker.receivedMessageFromWorker', ({ params }) =>
      this.#channels.get(params.sessionId)?.receive(params.message),
    );
  }

  /** Asks for the threads: each one is announced by an `attachedToWorker` notification. */
  listThreads(): Promise<void> {
    return new Promise((resolve, reject) =>
      this.#session.post('NodeWorker.enable', { waitForDebuggerOnStart: false }, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  }

  /** The channel to thread `threadId` once the inspector lists it; undefined after `ms`. */
  async channel(threadId: number, ms: number): Promise<ThreadChannel | undefined> {
    const key = String(threadId);
    let listener: (() => void) | undefined;
    const listed = new Promise<string>((resolve) => {
      listener = () => {
        const sessionId = this.#attached.get(key);
        if (sessionId !== undefined) resolve(sessionId);
      };
      this.#onAttach.add(listener);
      listener();
    });
    const sessionId = await within<string | undefined>(listed, ms, () => undefined).finally(() =>
      this.#onAttach.delete(listener!),
    );
    if (sessionId === undefined || this.#closed !== undefined) return undefined;
    let channel = this.#channels.get(sessionId);
    if (!channel) {
      channel = new ThreadChannel(
        (message) =>
          new Promise<void>((resolve, reject) =>
            this.#session.post('NodeWorker.sendMessageToWorker', { sessionId, message }, (error) =>
              error ? reject(error) : resolve(),
            ),
          ),
      );
      this.#channels.set(sessionId, channel);
    }
    return channel;
  }

  /**
   * Detaches from every thread, then disconnects. Only a detach lets a paused thread go and drops a
   * pending pause: on Node 20, `NodeWorker.disable` and a disconnect leave a paused thread paused.
   */
  close(reason: string): void {
    if (this.#closed !== undefined) return;
    this.#closed = reason;
    for (const channel of this.#channels.values()) channel.close(reason);
    this.#onAttach.clear();
    const ignore = (): void => {};
    try {
      for (const sessionId of this.#attached.values()) {
        this.#session.post('NodeWorker.detach', { sessionId }, ignore);
      }
      this.#session.post('NodeWorker.disable', ignore);
    } catch {
      // already disconnected
    }
    this.#session.disconnect();
    this.#session.removeAllListeners();
  }
}
