/**
 * The program of the BlockingDetector's watchdog thread. It pings the main thread; when a ping goes
 * unanswered for longer than the timeout, the loop is blocked: it reads what work is marked as
 * running, captures the main thread's stack, files the report in shared memory (where the detector
 * reads it once the loop turns again) and writes it to stderr at once.
 */
import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { createConsoleLogger } from '../console-logger.js';
import { StackCapture } from './capture.js';
import {
  BOARD_DEPTH,
  REPORT_BYTES,
  Slot,
  type FromWatchdog,
  type StallLog,
  type StallReport,
  type ToWatchdog,
  type WatchdogData,
} from './protocol.js';

const port = parentPort;
if (!port) throw new Error('the rxmode watchdog runs in a BlockingDetector thread only');
const data = workerData as WatchdogData;
const control = new Int32Array(data.control);
const board = new Int32Array(data.board);
const reportBytes = new Uint8Array(data.report);
const labels = new Map<number, string>(data.labels);
const send = (message: FromWatchdog): void => port.postMessage(message);
/** The stack capture, or why there is none. */
let stacks: StackCapture | string = data.captureStack ? 'the inspector is loading' : 'stack capture is off';
const loading = data.captureStack ? StackCapture.create().then((capture) => (stacks = capture)) : undefined;

/** The labels marked as running on the main thread right now, outermost first. */
function readRunning(): string[] {
  const depth = Atomics.load(board, 0);
  const running: string[] = [];
  for (let i = 0; i < Math.min(depth, BOARD_DEPTH); i++) {
    const id = Atomics.load(board, 1 + i);
    running.push(labels.get(id) ?? `#${id}`);
  }
  if (depth > BOARD_DEPTH) running.push(`… ${depth - BOARD_DEPTH} more`);
  return running;
}

/** Writes `report` where the detector reads it; a stack too long for the room is cut. */
function file(report: StallReport): void {
  const encoder = new TextEncoder();
  let bytes = encoder.encode(JSON.stringify(report));
  if (bytes.length > REPORT_BYTES && report.stack !== undefined) {
    const room = Math.max(0, report.stack.length - (bytes.length - REPORT_BYTES) - 64);
    bytes = encoder.encode(JSON.stringify({ ...report, stack: `${report.stack.slice(0, room)}\n    …` }));
  }
  if (bytes.length > REPORT_BYTES) bytes = encoder.encode(JSON.stringify({ ...report, stack: undefined }));
  reportBytes.set(bytes);
  Atomics.store(control, Slot.reportBytes, bytes.length);
  Atomics.add(control, Slot.reports, 1);
}

/** Writes the report to stderr now, synchronously: the main thread, which would log it, is blocked. */
function writeLine(log: StallLog, report: StallReport): void {
  let line = '';
  const logger = createConsoleLogger({
    format: log.format,
    color: log.color,
    stream: { write: (chunk: string) => (line += chunk) },
  });
  const fields: Record<string, unknown> = {
    service: log.service,
    lagMs: report.lagMs,
    running: report.running,
  };
  if (log.format === 'json' && report.stack !== undefined) fields.stack = report.stack;
  if (report.noStack !== undefined) fields.noStack = report.noStack;
  logger.warn(fields, 'event loop blocked (still blocked)');
  if (log.format === 'pretty' && report.stack !== undefined) line += `${report.stack}\n`;
  writeSync(2, line);
}

let sent = 0;
let sentAt = performance.now();
let isStalled = false;

/** True while the last ping is unanswered: the main thread's loop has not turned since it was sent. */
const isUnanswered = (): boolean => Atomics.load(control, Slot.answered) !== sent;

/** Why the stack cannot be captured right now, or undefined when it can. */
function noStackReason(): string | undefined {
  if (typeof stacks === 'string') return stacks;
  if (Atomics.load(control, Slot.inspectorOpen) === 1) {
    return 'an inspector is open (--inspect): the watchdog does not pause the process';
  }
  return undefined;
}

async function capture(silentMs: number): Promise<void> {
  Atomics.store(control, Slot.capturing, 1);
  // read before anything is awaited: the stall may be over by the time the capture module has loaded
  const running = readRunning();
  try {
    await loading;
    let report: StallReport = { lagMs: Math.round(silentMs), running };
    const complete = (extra: Partial<StallReport>): void => {
      report = { ...report, ...extra, lagMs: Math.round(performance.now() - sentAt) };
      file(report);
      if (data.log) writeLine(data.log, report);
    };
    const reason = noStackReason();
    if (reason !== undefined || typeof stacks === 'string') {
      complete({ noStack: reason });
      return;
    }
    let isFiled = false;
    const noStack = await stacks.capture(1000, isUnanswered, (stack) => {
      isFiled = true;
      complete({ running: readRunning(), stack }); // the main thread is paused here
    });
    if (!isFiled) complete({ noStack });
  } finally {
    Atomics.store(control, Slot.capturing, 0);
  }
}

/** The silence after which the debugger is readied: enabling it takes the main thread a while. */
const armAfterMs = data.timeoutMs / 2;
let isCapturing = false;

function poll(): void {
  if (!isUnanswered()) {
    if (!isCapturing && typeof stacks !== 'string') stacks.disarm(); // a suspicion that came to nothing
    isStalled = false;
    sent++;
    sentAt = performance.now();
    send({ type: 'ping', seq: sent });
    return;
  }
  const silentMs = performance.now() - sentAt;
  if (silentMs > armAfterMs && typeof stacks !== 'string' && noStackReason() === undefined) stacks.arm();
  if (!isStalled && silentMs > data.timeoutMs) {
    isStalled = true;
    isCapturing = true;
    capture(silentMs)
      .catch((error: unknown) => writeSync(2, `rxmode watchdog: the capture failed: ${String(error)}\n`))
      .finally(() => (isCapturing = false));
  }
}

setInterval(poll, data.pollMs); // until the detector terminates this thread
port.on('message', (message: ToWatchdog) => labels.set(message.id, message.label));
send({ type: 'ready' });
