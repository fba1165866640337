/**
 * What the main thread and the BlockingDetector's watchdog thread share: the layout of the shared
 * memory (the heartbeat, the capture state, the last report), the thread's `workerData` and the
 * messages. Plain data only, so both sides read it without importing each other.
 */

/** Slots of the control array (an Int32Array over {@link WatchdogData.control}). */
export const Slot = {
  /** The last ping the main thread answered (a sequence number). */
  answered: 0,
  /** 1 while the process has an inspector open (`--inspect`): the stack is then not captured. */
  inspectorOpen: 1,
  /** 1 while the watchdog is capturing a stall. */
  capturing: 2,
  /** Reports filed so far; bumped after each report is written. */
  reports: 3,
  /** The length in bytes of the last report (UTF-8 JSON in {@link WatchdogData.report}). */
  reportBytes: 4,
} as const;

/** The number of slots of the control array. */
export const CONTROL_SLOTS = 5;

/** The room for one report (JSON of a {@link StallReport}); a longer stack is cut to fit. */
export const REPORT_BYTES = 32 * 1024;

/** How many nested marks the running board holds (deeper ones count but are not named). */
export const BOARD_DEPTH = 16;

/** A stall as the watchdog saw it while the loop was blocked. */
export interface StallReport {
  /** How long the loop had not answered when the report was made, in ms. */
  readonly lagMs: number;
  /** The labels marked as running then, outermost first (see lib/internal/running.ts). */
  readonly running: string[];
  /** The JavaScript stack of the main thread then, as `    at fn (url:line:column)` lines. */
  readonly stack?: string;
  /** Why there is no stack, when there is none. */
  readonly noStack?: string;
}

/** How the watchdog writes its report to stderr (the console logger's line format). */
export interface StallLog {
  readonly format: 'pretty' | 'json';
  readonly color: boolean;
  /** The label of the line: the detector's path. */
  readonly service: string;
}

/** The `workerData` of the watchdog thread. */
export interface WatchdogData {
  /** Int32Array of {@link CONTROL_SLOTS} slots, see {@link Slot}. */
  readonly control: SharedArrayBuffer;
  /** The running board: slot 0 the depth, then up to {@link BOARD_DEPTH} label ids, outermost first. */
  readonly board: SharedArrayBuffer;
  /** {@link REPORT_BYTES} bytes: the last report. */
  readonly report: SharedArrayBuffer;
  /** The labels known so far, by id. */
  readonly labels: readonly (readonly [number, string])[];
  /** A stall longer than this is reported, in ms. */
  readonly timeoutMs: number;
  /** How often the watchdog pings the main thread, in ms. */
  readonly pollMs: number;
  /** Whether to capture the main thread's stack through the inspector. */
  readonly captureStack: boolean;
  /** Where the report line goes at once; undefined: it is not written. */
  readonly log: StallLog | undefined;
}

/** Main thread → watchdog. */
export type ToWatchdog = { type: 'label'; id: number; label: string };

/** Watchdog → main thread. */
export type FromWatchdog = { type: 'ready' } | { type: 'ping'; seq: number };
