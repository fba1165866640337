/**
 * The options a Service takes, and their validation: every bad value is refused in the constructor
 * with a TypeError that names the option and the value received.
 */
import type { SchedulerLike } from 'rxjs';
import { parseDuration, type Duration } from './duration.js';
import { mustBe, show } from './internal/format.js';
import type { Logger } from './logger.js';

/** Options of every service. */
export interface ServiceOptions {
  /** Name used in paths, events and logs. @defaultValue the class name */
  name?: string;
  /** Every timer, sleep and timeout of this subtree. @defaultValue the parent's, else `asyncScheduler` */
  scheduler?: SchedulerLike;
  /** Budget of `start()`. @defaultValue none */
  startTimeout?: Duration;
  /** The whole subtree's stop budget when this service is the root of a stop. @defaultValue 60s */
  stopTimeout?: Duration;
  /** How children start. @defaultValue 'sequential' (insertion order) */
  startConcurrency?: 'sequential' | 'parallel';
  /** How children stop. @defaultValue 'sequential' (reverse insertion order) */
  stopConcurrency?: 'sequential' | 'parallel';
  /** Where the service logs. @defaultValue the parent's, else a silent logger */
  logger?: Logger;
  /**
   * Whether readiness waits for this service (the Worker's `/readyz`): `false` for one that may stop
   * on purpose (a migration, a one-shot job) or whose absence the pod survives.
   * @defaultValue true
   */
  essential?: boolean;
}

/** @internal The keys of {@link ServiceOptions} (a misspelled option would otherwise be lost). */
export const OPTION_KEYS: ReadonlySet<string> = new Set(
  'name scheduler startTimeout stopTimeout startConcurrency stopConcurrency logger essential'.split(' '),
);

/** Options of `addTask`. */
export interface TaskOptions {
  /** Name in events and stuck reports. @defaultValue `task-N` */
  name?: string;
  /** Await the task at stop (it sees `signal` abort and should finish) instead of unsubscribing it. @defaultValue false */
  drain?: boolean;
}

/** Options of `addCron`. */
export interface CronOptions {
  /** IANA time zone of the expression. @defaultValue the local time zone */
  timezone?: string;
  /** Name in events and stuck reports. @defaultValue `cron-N` */
  name?: string;
}

/** The default stop budget: 60 s. */
export const DEFAULT_STOP_TIMEOUT = 60_000;

/** @internal Options after validation; services built without options share one object. */
export interface ResolvedOptions {
  readonly scheduler: SchedulerLike | undefined;
  readonly logger: Logger | undefined;
  readonly startTimeoutMs: number | undefined;
  readonly stopTimeoutMs: number;
  readonly parallelStart: boolean;
  readonly parallelStop: boolean;
  readonly essential: boolean;
}

const DEFAULT_OPTIONS: ResolvedOptions = Object.freeze({
  scheduler: undefined,
  logger: undefined,
  startTimeoutMs: undefined,
  stopTimeoutMs: DEFAULT_STOP_TIMEOUT,
  parallelStart: false,
  parallelStop: false,
  essential: true,
});

const NO_OPTIONS = Object.freeze({ name: undefined, resolved: DEFAULT_OPTIONS });

/** True for an object with a method `method` (a scheduler, a logger). */
const hasMethod =
  (method: string) =>
  (value: any): boolean =>
    typeof value === 'object' && typeof value?.[method] === 'function';

const CONCURRENCY = [
  "'sequential' or 'parallel'",
  (v: unknown) => v === 'sequential' || v === 'parallel',
] as const;

/** The options checked by value, in the order they are checked: key, what it must be, the test. */
const CHECKS: readonly (readonly [keyof ServiceOptions, string, (value: any) => boolean])[] = [
  ['name', "a non-empty string without '/'", (v) => typeof v === 'string' && v !== '' && !v.includes('/')],
  ['scheduler', 'an rxjs SchedulerLike', hasMethod('schedule')],
  ['startConcurrency', ...CONCURRENCY],
  ['stopConcurrency', ...CONCURRENCY],
  ['essential', 'a boolean', (v) => typeof v === 'boolean'],
  ['logger', 'an object with debug, info, warn and error methods', hasMethod('error')],
];

/**
 * @internal Validates the options of a Service; returns them resolved. `strict`: every unknown key is
 * refused (a plain `Service`); otherwise only keys that look like a misspelled option are (a subclass
 * may take options of its own through the same object).
 */
export function resolveServiceOptions(
  options: unknown,
  strict = true,
): {
  name: string | undefined;
  resolved: ResolvedOptions;
} {
  if (options === undefined) return NO_OPTIONS;
  if (typeof options !== 'object' || options === null) throw mustBe('options', 'an object', options);
  const o = options as ServiceOptions;
  checkOptionKeys(o, OPTION_KEYS, strict);
  for (const [key, expected, isValid] of CHECKS) {
    if (o[key] !== undefined && !isValid(o[key])) throw mustBe(key, expected, o[key]);
  }
  const startTimeoutMs =
    o.startTimeout === undefined ? undefined : parseDuration(o.startTimeout, 'startTimeout');
  const stopTimeoutMs =
    o.stopTimeout === undefined ? DEFAULT_STOP_TIMEOUT : parseDuration(o.stopTimeout, 'stopTimeout');
  const parallelStart = o.startConcurrency === 'parallel';
  const parallelStop = o.stopConcurrency === 'parallel';
  const essential = o.essential ?? true;
  // the defaults are shared: most services (a name at most) allocate no options of their own
  const isDefault =
    o.scheduler === undefined &&
    o.logger === undefined &&
    startTimeoutMs === undefined &&
    stopTimeoutMs === DEFAULT_STOP_TIMEOUT &&
    !parallelStart &&
    !parallelStop &&
    essential;
  const resolved = isDefault
    ? DEFAULT_OPTIONS
    : {
        scheduler: o.scheduler,
        logger: o.logger,
        startTimeoutMs,
        stopTimeoutMs,
        parallelStart,
        parallelStop,
        essential,
      };
  return { name: o.name, resolved };
}

/**
 * @internal The {@link ServiceOptions} part of a subclass's options (a subclass with options of its
 * own passes only these to `super()`).
 */
export function pickServiceOptions(options: object | undefined): ServiceOptions | undefined {
  if (typeof options !== 'object' || options === null) return options;
  const picked: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) if (OPTION_KEYS.has(key)) picked[key] = value;
  return picked;
}

/** The TypeError of an option key that is not known: it names the key, its value and `hint`. */
const unknownOption = (options: object, key: string, hint: string): TypeError =>
  new TypeError(
    `unknown option ${key} (received ${show((options as Record<string, unknown>)[key])}); ${hint}`,
  );

/**
 * @internal Refuses option keys that are not in `known`: every one when `strict`, else those that look
 * like a misspelling of a known key (a subclass may take keys of its own). The TypeError names the key,
 * its value and the likely intended option.
 */
export function checkOptionKeys(options: object, known: ReadonlySet<string>, strict: boolean): void {
  for (const key of Object.keys(options)) {
    if (known.has(key)) continue;
    const intended = [...known].find((k) => isMisspelling(key, k));
    if (intended !== undefined) throw unknownOption(options, key, `did you mean ${intended}?`);
    if (strict) throw unknownOption(options, key, `known options: ${[...known].join(', ')}`);
  }
}

/** True when `key` is within two edits of `known` (or differs only in case): a likely typo. */
function isMisspelling(key: string, known: string): boolean {
  const a = key.toLowerCase();
  const b = known.toLowerCase();
  if (a === b) return true;
  if (Math.abs(a.length - b.length) > 2 || Math.min(a.length, b.length) < 4) return false;
  // Levenshtein distance, one row at a time: row[j] is the distance from a[0, i) to b[0, j)
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 0; i < a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i + 1;
    for (let j = 0; j < b.length; j++) {
      const above = row[j + 1]!;
      row[j + 1] = Math.min(above + 1, row[j]! + 1, diagonal + (a[i] === b[j] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]! <= 2;
}

/**
 * @internal Validates `options.after` of `addDependency(child, options)`: services for which
 * `isSibling` holds (children of the same parent), never the child itself. Returns them, without
 * repeats, in the order given.
 */
export function prerequisitesOption<S extends object>(
  options: unknown,
  child: unknown,
  isSibling: (service: unknown) => service is S,
): S[] {
  if (options === undefined) return [];
  if (typeof options !== 'object' || options === null) {
    throw mustBe('options', 'an object such as { after: db }', options);
  }
  for (const key in options) {
    if (key !== 'after') throw unknownOption(options, key, 'known options: after');
  }
  const after = (options as { after?: unknown }).after;
  if (after === undefined) return [];
  const list: unknown[] = Array.isArray(after) ? after : [after];
  const found: S[] = [];
  for (const service of list) {
    if (service === child)
      throw new TypeError(`after must name other children, not the child itself; received ${show(service)}`);
    if (!isSibling(service)) {
      const name = (service as { path?: unknown } | null)?.path;
      const what = typeof name === 'string' ? name : show(service);
      throw new TypeError(`after must name children already added to the same parent; received ${what}`);
    }
    if (!found.includes(service)) found.push(service);
  }
  return found;
}

/** @internal Validates an optional work name. */
export function checkName(name: unknown): string | undefined {
  if (name !== undefined && (typeof name !== 'string' || name === '')) {
    throw mustBe('name', 'a non-empty string', name);
  }
  return name;
}
