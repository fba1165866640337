/**
 * The options of a ThreadService and the types that make `call()` check method names, arguments
 * and results against the service class that runs in the thread.
 */
import type { ResourceLimits } from 'node:worker_threads';
import type { Duration } from '../../duration.js';
import type { ServiceOptions } from '../../options.js';

/** Options of a ThreadService. */
export interface ThreadServiceOptions extends ServiceOptions {
  /** The export holding the service: a Service class, a factory (may be async) or an instance. @defaultValue 'default' */
  export?: string;
  /** Arguments of the class constructor or factory; structured-cloned into the thread. @defaultValue [] */
  args?: readonly unknown[];
  /** The thread is reported `blocked` after answering nothing this long; 0 disables the heartbeat. @defaultValue 10s */
  blockingTimeout?: Duration;
  /** The thread entry module (for bundles that moved it). @defaultValue `thread/entry.js` in the rxmode/node folder (`defaultThreadEntry()`) */
  entry?: string | URL;
  /** Heap limits of the thread. @defaultValue Node's defaults */
  resourceLimits?: ResourceLimits;
}

/** The names of the methods of `S` (any string when `S` is unknown). */
export type ThreadMethod<S> = unknown extends S
  ? string
  : { [K in keyof S]-?: S[K] extends (...args: any[]) => unknown ? K : never }[keyof S] & string;
/** The parameters of method `K` of `S`. */
export type ThreadArgs<S, K> = unknown extends S
  ? unknown[]
  : K extends keyof S
    ? S[K] extends (...args: infer A) => unknown
      ? A
      : never
    : never;
/** The resolved result of method `K` of `S`. */
export type ThreadResult<S, K> = unknown extends S
  ? unknown
  : K extends keyof S
    ? S[K] extends (...args: any[]) => infer R
      ? Awaited<R>
      : never
    : never;
