/**
 * The running board of the main thread: the marker (lib/internal/running.ts) that writes the ids of
 * the work running right now into shared memory, where the watchdog threads read them while the
 * loop is blocked. One board per process, installed while at least one detector watches.
 */
import { setRunningMarker, type RunningMarker } from '../../internal/running.js';
import { BOARD_DEPTH } from './protocol.js';

/** A watchdog following the board: it gets each new label once. */
export type LabelListener = (id: number, label: string) => void;

/**
 * @internal The process's board. `enter` costs a Map lookup and two stores into an Int32Array (a
 * label seen for the first time is also sent to the watchdogs); `leave` one store.
 */
class RunningBoard implements RunningMarker {
  readonly buffer = new SharedArrayBuffer((1 + BOARD_DEPTH) * 4);
  readonly #slots = new Int32Array(this.buffer);
  readonly #ids = new Map<string, number>();
  readonly #listeners = new Set<LabelListener>();

  enter(label: string): number {
    const id = this.#ids.get(label) ?? this.#register(label);
    const slots = this.#slots;
    const depth = slots[0]!;
    if (depth < BOARD_DEPTH) slots[1 + depth] = id;
    slots[0] = depth + 1;
    return depth;
  }

  leave(token: number): void {
    this.#slots[0] = token;
  }

  /** Every label known so far, by id. */
  labels(): [number, string][] {
    return [...this.#ids].map(([label, id]) => [id, label]);
  }

  /** Follows the board; the marker is installed while anyone follows. Returns the unfollow function. */
  follow(listener: LabelListener): () => void {
    if (this.#listeners.size === 0) this.#slots[0] = 0; // a mark left open by an earlier install
    this.#listeners.add(listener);
    setRunningMarker(this);
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) {
        setRunningMarker(undefined);
        this.#slots[0] = 0;
      }
    };
  }

  #register(label: string): number {
    const id = this.#ids.size + 1;
    this.#ids.set(label, id);
    for (const listener of this.#listeners) listener(id, label);
    return id;
  }
}

let board: RunningBoard | undefined;

/** @internal The board of this process (created on first use). */
export function runningBoard(): RunningBoard {
  return (board ??= new RunningBoard());
}
