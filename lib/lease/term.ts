/**
 * The part every lease adapter shares: a held term that renews itself in the background and stops
 * being trusted at its ttl minus a safety margin after the last renewal that succeeded, measured on
 * a monotonic clock from the moment that renewal was sent, whether or not the engine answers.
 */
import type { LeaseTerm } from '../lease.js';

/** @internal How a term is renewed, released and timed. */
export interface TermOptions {
  /** The fencing token of the term. */
  readonly token: string;
  /** How long the engine keeps the lease without a renewal, in ms. */
  readonly ttlMs: number;
  /** How long before the ttl the term stops being trusted, in ms (clock drift, delivery time). */
  readonly marginMs: number;
  /** How often `renew` runs, in ms; without `renew`, the adapter calls {@link HeldTerm.renewed} itself. */
  readonly renewEveryMs?: number;
  /**
   * Extends the lease; resolves false when the engine says this replica no longer holds it. A
   * rejection is retried at the next period until the term is no longer trusted.
   */
  readonly renew?: () => Promise<boolean>;
  /** Gives the lease up in the engine (called at most once, never after the term was lost; `close` follows). */
  readonly release: () => Promise<void>;
  /** Called once when the term ends, lost or released: close what the term held. */
  readonly close?: () => void;
  /** A monotonic clock in ms (default `performance.now`). */
  readonly now?: () => number;
}

/** Why a term ended without a release. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

/** @internal A term held by an adapter: the {@link LeaseTerm} it hands out, and the means to end it. */
export class HeldTerm implements LeaseTerm {
  readonly token: string;
  readonly lost: Promise<unknown>;
  #settleLost!: (reason: unknown) => void;
  #ended = false;
  #released: Promise<void> | undefined;
  #trustTimer: ReturnType<typeof setTimeout> | undefined;
  #renewTimer: ReturnType<typeof setTimeout> | undefined;
  #lastError: unknown;
  readonly #options: TermOptions;
  readonly #now: () => number;

  constructor(options: TermOptions) {
    this.#options = options;
    this.token = options.token;
    this.#now = options.now ?? (() => performance.now());
    this.lost = new Promise<unknown>((resolve) => (this.#settleLost = resolve));
    this.renewed(this.#now());
    if (options.renew) this.#scheduleRenewal();
  }

  /** True until the term was lost or released. */
  get isHeld(): boolean {
    return !this.#ended;
  }

  /**
   * A renewal sent at `sentAt` (monotonic ms) succeeded: the term is trusted until `sentAt + ttl -
   * margin`. Measuring from the send, not the answer, keeps the bound safe however slow the answer.
   */
  renewed(sentAt: number): void {
    if (this.#ended) return;
    clearTimeout(this.#trustTimer);
    const left = sentAt + this.#options.ttlMs - this.#options.marginMs - this.#now();
    this.#trustTimer = setTimeout(() => this.#expire(), Math.max(0, left));
    this.#trustTimer.unref?.();
  }

  /** Ends the term as lost with `reason` (the engine said so, or the connection that held it ended). */
  lose(reason: unknown): void {
    if (this.#end()) this.#settleLost(reason);
  }

  release(): Promise<void> {
    if (this.#released) return this.#released;
    if (!this.#end(false)) return (this.#released = Promise.resolve());
    const close = this.#options.close;
    return (this.#released = this.#options.release().finally(() => close?.()));
  }

  #expire(): void {
    const cause = this.#lastError;
    const message = `the lease was not renewed within its ttl (${this.#options.ttlMs} ms) minus a margin of ${this.#options.marginMs} ms`;
    this.lose(new LeaseLostError(message, cause === undefined ? undefined : { cause }));
  }

  #scheduleRenewal(): void {
    this.#renewTimer = setTimeout(() => void this.#renew(), this.#options.renewEveryMs);
    this.#renewTimer.unref?.();
  }

  async #renew(): Promise<void> {
    if (this.#ended) return;
    const sentAt = this.#now();
    try {
      const held = await this.#options.renew!();
      if (this.#ended) return;
      if (!held) {
        this.lose(new LeaseLostError('the engine no longer grants the lease to this replica'));
        return;
      }
      this.#lastError = undefined;
      this.renewed(sentAt);
    } catch (error) {
      this.#lastError = error; // retried at the next period; the trust timer decides when to give up
    }
    if (!this.#ended) this.#scheduleRenewal();
  }

  /** Stops the timers and (unless `close` is false: a release closes after it) closes the term; false when it had already ended. */
  #end(close = true): boolean {
    if (this.#ended) return false;
    this.#ended = true;
    clearTimeout(this.#trustTimer);
    clearTimeout(this.#renewTimer);
    if (close) this.#options.close?.();
    return true;
  }
}
