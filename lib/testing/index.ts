/**
 * The `rxmode/testing` entry point: virtual time and lifecycle recorders for testing services.
 * Browser-safe; it depends on no test framework.
 */
export { createVirtualClock } from './virtual-clock.js';
export type { VirtualClock, VirtualClockOptions, UntilOptions } from './virtual-clock.js';
export { recordLifecycle } from './recorder.js';
export type { LifecycleRecorder } from './recorder.js';
export { lifecycleMarbles, STATE_MARKS } from './marbles.js';
export type { LifecycleMarblesOptions } from './marbles.js';
export { expectNoLeaks } from './leaks.js';
export type { LeakError, Leftover, NoLeaksOptions } from './leaks.js';
export { createMemoryLease } from './memory-lease.js';
export type { MemoryLease, MemoryLeaseOptions } from './memory-lease.js';
