/**
 * The options every lease adapter takes, checked the same way: a name, an engine key derived from it
 * unless given, and a ttl.
 */
import { parseDuration, type Duration } from '../duration.js';
import { show } from '../internal/format.js';

/** @internal The checked options of an adapter. */
export interface LeaseSettings {
  readonly name: string;
  readonly key: string;
  readonly ttlMs: number;
  /** Renew every `ttl / 3`. */
  readonly renewEveryMs: number;
  /** Stop trusting a term this long before its ttl: a fifth of it, at least 100 ms. */
  readonly marginMs: number;
}

/**
 * @internal Checks `options` of adapter `adapter` (`redisLease`, …): `name` a non-empty string, `key` a
 * non-empty string when given (default `rxmode:lease:<name>` with `separator`), `ttl` above 300 ms
 * when the adapter takes one; anything else is a TypeError naming the option and the value.
 */
export function leaseSettings(
  adapter: string,
  options: unknown,
  allowed: readonly string[],
  defaults: { ttl?: Duration; keyPrefix: string },
): LeaseSettings {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${adapter}: options must be an object with a name; received ${show(options)}`);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) {
      throw new TypeError(
        `${adapter}: unknown option ${key} (${show(o[key])}); expected ${allowed.join(', ')}`,
      );
    }
  }
  if (typeof o.name !== 'string' || o.name.length === 0) {
    throw new TypeError(`${adapter}: options.name must be a non-empty string; received ${show(o.name)}`);
  }
  if (o.key !== undefined && (typeof o.key !== 'string' || o.key.length === 0)) {
    throw new TypeError(`${adapter}: options.key must be a non-empty string; received ${show(o.key)}`);
  }
  const ttl = o.ttl ?? defaults.ttl ?? '10s';
  const ttlMs = parseDuration(ttl as Duration, `${adapter}: options.ttl`);
  if (ttlMs < 300) {
    throw new TypeError(`${adapter}: options.ttl must be at least 300 ms; received ${show(ttl)}`);
  }
  return {
    name: o.name,
    key: o.key ?? `${defaults.keyPrefix}${o.name}`,
    ttlMs,
    renewEveryMs: Math.floor(ttlMs / 3),
    marginMs: Math.max(100, Math.floor(ttlMs / 5)),
  };
}
