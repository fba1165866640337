/**
 * Turns the lifecycle events of a tree into log records: what a Worker prints while it runs
 * (starts, stops, crashes, supervisor decisions, stalls), each labelled with the service path.
 */
import type { Subscription } from 'rxjs';
import { show } from '../internal/format.js';
import type { LifecycleEvent, StopReason } from '../events.js';
import type { Logger } from '../logger.js';
import type { Service } from '../service.js';

/** How a stop reason reads in a log line, or undefined when it adds nothing. */
export function describeReason(reason: StopReason | undefined): string | undefined {
  switch (reason?.type) {
    case 'signal':
      return reason.signal;
    case 'manual':
      return 'requested';
    case 'restart':
      return 'restart';
    case 'timeout':
      return 'timeout';
    case 'supervisor':
      return `supervisor: ${reason.decision}`;
    case 'crash':
      return `crash: ${show(reason.error)}`;
    case 'lease-lost':
      return `lease ${reason.lease} lost`;
    default:
      return undefined;
  }
}

/**
 * Logs the lifecycle of `root` and its descendants until the returned subscription is unsubscribed.
 *
 * @remarks
 * Info: `starting`, `running (started in N ms)`, `stopping (reason)`, `stopped (in N ms)`. Error:
 * a service crashed because a descendant crashed (`crashed (escalated from path)`); the crash
 * itself is logged once, with its stack, by the service where it happened. Warn: failed hooks of a
 * stop. Debug: hook timings, children added or removed, supervisor decisions, timer drift, leadership
 * changes. Stop timeouts, supervisor decisions, `blocked` stalls and leadership are logged by the
 * service that saw them (a `LeaderService` logs `leading` at info with the token, a lost term or a
 * failed acquire at warn with the reason); this log adds the trace of each `leader` event.
 * @example
 * ```ts
 * const subscription = logLifecycle(app, createConsoleLogger());
 * ```
 */
export function logLifecycle(root: Service<any>, logger: Logger): Subscription {
  const since = new Map<string, number>();
  const origins = new WeakMap<object, string>();
  return root.events$.subscribe((event) => logEvent(event, logger, since, origins));
}

function logEvent(
  event: LifecycleEvent,
  logger: Logger,
  since: Map<string, number>,
  origins: WeakMap<object, string>,
): void {
  const service = event.service.path;
  switch (event.type) {
    case 'state': {
      const started = since.get(event.service.id);
      since.set(event.service.id, event.at);
      const took = started === undefined ? '' : `${Math.round(event.at - started)} ms`;
      const why = describeReason(event.reason);
      switch (event.to) {
        case 'starting':
          logger.info({ service }, event.from === 'init' ? 'starting' : `starting again (was ${event.from})`);
          return;
        case 'running':
          logger.info({ service }, `running (started in ${took})`);
          return;
        case 'stopping':
          logger.info({ service }, why ? `stopping (${why})` : 'stopping');
          return;
        case 'stopped':
          since.delete(event.service.id);
          logger.info({ service }, event.from === 'stopping' ? `stopped (in ${took})` : 'stopped');
          return;
        case 'crashed': {
          const error = event.reason?.type === 'crash' ? event.reason.error : undefined;
          const origin = typeof error === 'object' && error !== null ? origins.get(error) : undefined;
          if (origin === undefined) {
            if (typeof error === 'object' && error !== null) origins.set(error, service);
            return; // the service that crashed logs the error itself, once, with its stack
          }
          logger.error({ service }, `crashed (escalated from ${origin})`);
          return;
        }
        default:
          return;
      }
    }
    case 'hook':
      if (event.error === undefined) {
        logger.debug({ service }, `${event.hook} finished in ${Math.round(event.durationMs)} ms`);
      } else if (event.hook === 'onStop' || event.hook === 'onShutdown') {
        logger.warn({ service }, `${event.hook} failed: ${show(event.error)}`);
      } else {
        logger.debug({ service }, `${event.hook} failed: ${show(event.error)}`);
      }
      return;
    case 'child':
      logger.debug({ service }, `${event.op === 'added' ? 'added' : 'removed'} ${event.child.name}`);
      return;
    case 'supervisor': {
      // supervisors log their decisions themselves; this is the trace of the event
      const delay = event.delayMs > 0 ? `, in ${Math.round(event.delayMs)} ms` : '';
      logger.debug({ service }, `${event.decision} ${event.child.path} (attempt ${event.attempt}${delay})`);
      return;
    }
    case 'timer-drift':
    case 'timer-overlap':
      logger.debug({ service, timer: event.timer, driftMs: Math.round(event.driftMs) }, event.type);
      return;
    case 'leader': {
      // the LeaderService logs its terms itself (info when one begins, warn when lost or refused)
      const fields = { service, lease: event.lease };
      if (event.leader) logger.debug({ ...fields, token: event.token }, 'leader: term began');
      else if (event.reason === undefined) logger.debug(fields, 'leader: term released');
      else logger.debug({ ...fields, err: event.reason }, 'leader: following');
      return;
    }
    default:
      return; // crash (logged where it happened), stop-timeout (logged by the root of the stop), blocked (by its detector)
  }
}
