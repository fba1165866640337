/**
 * Rate limiting: a token bucket that refills continuously from its scheduler's clock, and
 * `rateLimit()`, the "at most `max` per `over`" shorthand for one.
 */
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { parseDuration, type Duration } from './duration.js';
import { show } from './internal/format.js';
import { parseRate, type Rate } from './rate.js';

/** Options of `new TokenBucket()`. */
export interface TokenBucketOptions {
  /** How fast tokens come back: a {@link Rate} string or a number per second. */
  rate: Rate | number;
  /**
   * The most tokens the bucket holds (a finite number ≥ 1): the largest burst it allows.
   *
   * @defaultValue the rate per second, but at least 1 (`'100/s'` → 100, `'10/m'` → 1)
   */
  capacity?: number;
  /**
   * The clock: only `scheduler.now()` is used.
   *
   * @defaultValue rxjs `asyncScheduler`
   */
  scheduler?: SchedulerLike;
}

/** Options of {@link rateLimit}. */
export interface RateLimitOptions {
  /**
   * The clock: only `scheduler.now()` is used.
   *
   * @defaultValue rxjs `asyncScheduler`
   */
  scheduler?: SchedulerLike;
}

/** Tolerance for floating-point refill arithmetic, in tokens. */
const EPSILON = 1e-9;

/**
 * A token bucket: holds up to `capacity` tokens, refilled continuously at `rate` per second.
 *
 * @remarks
 * The bucket starts full. Refilling is lazy: each call works out the tokens earned since the last
 * one from `scheduler.now()`, so no timer runs. Asking for more tokens than `capacity` can never
 * succeed: {@link TokenBucket.pour} returns `false` and {@link TokenBucket.expectedTime} `Infinity`.
 * @throws TypeError naming the option and the value when an option is malformed.
 * @example
 * ```ts
 * const bucket = new TokenBucket({ rate: '10/s', capacity: 20 });
 * if (bucket.pour()) send(message);
 * else await sleep(bucket.expectedTime());
 * ```
 */
export class TokenBucket {
  readonly #rate: number;
  readonly #perMs: number;
  readonly #capacity: number;
  readonly #scheduler: SchedulerLike;
  #tokens: number;
  #last: number;

  constructor(options: TokenBucketOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`options must be an object; received ${show(options)}`);
    }
    this.#rate = parseRate(options.rate, 'rate');
    this.#perMs = this.#rate / 1000;
    const capacity = options.capacity === undefined ? Math.max(1, this.#rate) : options.capacity;
    if (typeof capacity !== 'number' || !Number.isFinite(capacity) || capacity < 1) {
      throw new TypeError(`capacity must be a finite number ≥ 1; received ${show(capacity)}`);
    }
    this.#capacity = capacity;
    const scheduler = options.scheduler === undefined ? asyncScheduler : options.scheduler;
    if (typeof scheduler !== 'object' || scheduler === null || typeof scheduler.now !== 'function') {
      throw new TypeError(`scheduler must be an rxjs SchedulerLike; received ${show(scheduler)}`);
    }
    this.#scheduler = scheduler;
    this.#tokens = capacity;
    this.#last = scheduler.now();
  }

  /** Tokens added per second. */
  get rate(): number {
    return this.#rate;
  }

  /** The most tokens the bucket holds. */
  get capacity(): number {
    return this.#capacity;
  }

  /** The tokens available now (possibly fractional); never more than {@link TokenBucket.capacity}. */
  get tokens(): number {
    this.#refill();
    return this.#tokens;
  }

  /**
   * Takes `n` tokens if that many are available.
   *
   * @param n - how many tokens to take: a positive integer (default 1)
   * @returns `true` when the tokens were taken, `false` (and nothing taken) otherwise; always
   * `false` when `n` exceeds the capacity.
   * @throws TypeError when `n` is not a positive integer.
   */
  pour(n = 1): boolean {
    checkCount(n);
    if (n > this.#capacity) return false;
    this.#refill();
    if (this.#tokens + EPSILON < n) return false;
    this.#tokens = Math.max(0, this.#tokens - n);
    return true;
  }

  /**
   * How long, in ms of scheduler time, until `n` tokens are available.
   *
   * @param n - how many tokens: a positive integer (default 1)
   * @returns 0 when they are available now; `Infinity` when `n` exceeds the capacity.
   * @throws TypeError when `n` is not a positive integer.
   */
  expectedTime(n = 1): number {
    checkCount(n);
    if (n > this.#capacity) return Infinity;
    this.#refill();
    const missing = n - this.#tokens;
    return missing <= EPSILON ? 0 : missing / this.#perMs;
  }

  #refill(): void {
    const now = this.#scheduler.now();
    const elapsed = now - this.#last;
    // A clock that went backwards earns nothing; counting restarts from its new reading.
    if (elapsed > 0) this.#tokens = Math.min(this.#capacity, this.#tokens + elapsed * this.#perMs);
    this.#last = now;
  }
}

/**
 * A {@link TokenBucket} allowing `max` events per `over`: capacity `max`, refilled at `max` per `over`.
 *
 * @param max - the most events per window: a finite number ≥ 1
 * @param over - the window: a {@link Duration} longer than 0 (default `'1s'`)
 * @param options - {@link RateLimitOptions}
 * @throws TypeError naming `max`, `over` or `scheduler` and the value received when malformed.
 * @example
 * ```ts
 * const limit = rateLimit(100, '1m');
 * if (!limit.pour()) throw new Error(`retry in ${limit.expectedTime()} ms`);
 * ```
 */
export function rateLimit(max: number, over: Duration = '1s', options?: RateLimitOptions): TokenBucket {
  if (typeof max !== 'number' || !Number.isFinite(max) || max < 1) {
    throw new TypeError(`max must be a finite number ≥ 1; received ${show(max)}`);
  }
  const overMs = parseDuration(over, 'over');
  if (overMs === 0) throw new TypeError(`over must be longer than 0 ms; received ${show(over)}`);
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new TypeError(`options must be an object; received ${show(options)}`);
  }
  const bucket: TokenBucketOptions = { rate: (max * 1000) / overMs, capacity: max };
  if (options?.scheduler !== undefined) bucket.scheduler = options.scheduler;
  return new TokenBucket(bucket);
}

function checkCount(n: unknown): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new TypeError(`n must be a positive integer; received ${show(n)}`);
  }
}
