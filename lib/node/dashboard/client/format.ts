/**
 * Words for the dashboard page (browser-safe, bundled into its script): one log line per lifecycle
 * event as received over `/events` (errors arrive as plain `{ name, message, stack }` objects), and
 * the short texts of the service details.
 */
import { humanizeDuration } from '../../../duration.js';
import type { LifecycleEvent, StopReason } from '../../../events.js';

/** How a log line is shown: `error` for crashes and failures, `warn` for stalls and drift. */
export type LogLevel = 'info' | 'warn' | 'error';

/** One line of the event log. */
export interface LogLine {
  readonly level: LogLevel;
  /** The service the event is about (its path). */
  readonly path: string;
  readonly text: string;
}

/** `Name: message` of an error received as data (or of an Error), else the value as text. */
export function errorText(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error) {
    const { name, message } = error as { name?: unknown; message?: unknown };
    return `${typeof name === 'string' && name !== '' ? name : 'Error'}: ${String(message)}`;
  }
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

/** The message of an error received as data (or of an Error), else `String(value)`: a crash reason. */
export function errorMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error) {
    return String((error as { message?: unknown }).message);
  }
  return String(error);
}

/** The stack of an error received as data, or undefined. */
export function errorStack(error: unknown): string | undefined {
  const stack = (error as { stack?: unknown } | null | undefined)?.stack;
  return typeof stack === 'string' ? stack : undefined;
}

/** Why a service stops, in a few words (`SIGTERM`, `crash: Error: boom`, …). */
export function reasonText(reason: StopReason | undefined): string | undefined {
  if (reason === undefined) return undefined;
  switch (reason.type) {
    case 'signal':
      return reason.signal;
    case 'manual':
      return 'requested';
    case 'parent':
      return `parent ${reason.parent}`;
    case 'supervisor':
      return `supervisor: ${reason.decision}`;
    case 'crash':
      return `crash: ${errorText(reason.error)}`;
    case 'lease-lost':
      return `lease ${reason.lease} lost`;
    default:
      return reason.type;
  }
}

/** A duration in ms for people, or `–` when unknown. */
export function durationText(ms: number | undefined): string {
  return ms === undefined || !Number.isFinite(ms) ? '–' : humanizeDuration(Math.max(0, ms));
}

/**
 * Describes a lifecycle event for the event log.
 *
 * @example
 * ```ts
 * describeEvent({ type: 'state', service, at, from: 'running', to: 'crashed', reason });
 * // { level: 'error', path: 'Worker/Db', text: 'running → crashed (crash: Error: boom)' }
 * ```
 */
export function describeEvent(event: LifecycleEvent): LogLine {
  const path = event.service.path;
  switch (event.type) {
    case 'state': {
      const why = reasonText(event.reason);
      const level: LogLevel = event.to === 'crashed' ? 'error' : 'info';
      return { level, path, text: `${event.from} → ${event.to}${why ? ` (${why})` : ''}` };
    }
    case 'hook': {
      const failed = event.error === undefined ? '' : ` failed: ${errorText(event.error)}`;
      return {
        level: event.error === undefined ? 'info' : 'error',
        path,
        text: `${event.hook} ${durationText(event.durationMs)}${failed}`,
      };
    }
    case 'crash':
      return { level: 'error', path, text: `crashed: ${errorText(event.error)}` };
    case 'child':
      return { level: 'info', path, text: `child ${event.op}: ${event.child.path}` };
    case 'supervisor': {
      const delay = event.delayMs > 0 ? ` in ${durationText(event.delayMs)}` : '';
      const text = `${event.decision} ${event.child.path} (attempt ${event.attempt}${delay})`;
      return { level: event.decision === 'restart' ? 'warn' : 'error', path, text };
    }
    case 'stop-timeout': {
      const stuck = event.stuck.map((s) => `${s.path} ${s.phase} (${durationText(s.elapsedMs)})`);
      return { level: 'error', path, text: `stop timed out; stuck: ${stuck.join(', ') || 'nothing named'}` };
    }
    case 'timer-drift':
    case 'timer-overlap':
      return { level: 'warn', path, text: `${event.type} ${event.timer}: ${durationText(event.driftMs)}` };
    case 'blocked': {
      const running = event.running?.length ? ` while running ${event.running.join(', ')}` : '';
      return { level: 'warn', path, text: `event loop blocked ${durationText(event.lagMs)}${running}` };
    }
    case 'leader':
      if (event.leader) {
        const token = event.token === undefined ? '' : ` (token ${event.token})`;
        return { level: 'info', path, text: `leading ${event.lease}${token}` };
      }
      return event.reason === undefined
        ? { level: 'info', path, text: `gave up ${event.lease}` }
        : { level: 'warn', path, text: `not leading ${event.lease}: ${errorText(event.reason)}` };
    default: {
      const unknown = event as { type?: unknown };
      return { level: 'info', path, text: String(unknown.type) };
    }
  }
}
