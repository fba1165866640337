/**
 * The lifecycle events every service emits on `events$`, for itself and every descendant, in order,
 * and the plain data they share with the errors: {@link ServiceRef} and {@link StuckPhase}.
 */
import type { ServiceState } from './state.js';

/** Identifies a service in events and errors. */
export interface ServiceRef {
  readonly id: string;
  readonly name: string;
  /** `root/child/grandchild`, by names. */
  readonly path: string;
}

/** A part of a stop that was still pending when the stop budget ran out. */
export interface StuckPhase {
  /** Path of the service the phase belongs to. */
  readonly path: string;
  /** `onStop`, `onShutdown`, `run`, `task:<name>`, `timer:<name>`, `cron:<name>` or `teardown`. */
  readonly phase: string;
  /** How long the phase had been pending, in ms of scheduler time. */
  readonly elapsedMs: number;
}

/** Why a service stops (carried by `stop$`, `state` events and supervisor decisions). */
export type StopReason =
  | { type: 'manual' }
  | { type: 'parent'; parent: string }
  | { type: 'restart' }
  | { type: 'signal'; signal: string }
  | { type: 'crash'; error: unknown }
  | { type: 'timeout' }
  | { type: 'supervisor'; decision: string }
  /** A `LeaderService`'s term ended without a release (section 13): its children stop. */
  | { type: 'lease-lost'; lease: string; reason?: unknown };

/** One entry of `events$`. `at` is the scheduler time of the event in ms. */
export type LifecycleEvent =
  | {
      type: 'state';
      service: ServiceRef;
      at: number;
      from: ServiceState;
      to: ServiceState;
      reason?: StopReason;
    }
  | { type: 'hook'; service: ServiceRef; at: number; hook: string; durationMs: number; error?: unknown }
  | { type: 'crash'; service: ServiceRef; at: number; error: unknown }
  | { type: 'child'; service: ServiceRef; at: number; child: ServiceRef; op: 'added' | 'removed' }
  | { type: 'stop-timeout'; service: ServiceRef; at: number; stuck: StuckPhase[] }
  | { type: 'timer-drift' | 'timer-overlap'; service: ServiceRef; at: number; timer: string; driftMs: number }
  | {
      type: 'supervisor';
      service: ServiceRef;
      at: number;
      child: ServiceRef;
      decision: 'restart' | 'forfeit' | 'escalate';
      attempt: number;
      delayMs: number;
    }
  | {
      type: 'blocked';
      service: ServiceRef;
      at: number;
      lagMs: number;
      /** The work whose synchronous code was running during the stall. */
      running?: string[];
      /** The JavaScript stack of the blocking code, where the runtime could capture it. */
      stack?: string;
    }
  | {
      /** A `LeaderService` began leading (`leader: true`, with `token`) or stopped (section 13). */
      type: 'leader';
      service: ServiceRef;
      at: number;
      leader: boolean;
      /** The lease's name. */
      lease: string;
      /** The fencing token of the term that began. */
      token?: string;
      /** Why a term ended or an acquire failed. */
      reason?: unknown;
    };
