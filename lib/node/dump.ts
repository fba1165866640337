/**
 * The tree dump a Worker writes on SIGUSR1: one line per service with its path, state, time in that
 * state and what it has under way (its diag flags), then the main thread's last stall with its
 * stack, then one block per ThreadService with what its thread was doing, so an operator can see
 * what a process is doing and what last blocked it.
 */
import { humanizeDuration } from '../duration.js';
import type { ServiceSnapshot } from '../snapshot.js';
import type { BlockingDetector } from './blocking-detector.js';

/**
 * Renders a snapshot tree as lines of text, one per service, depth first.
 *
 * @remarks Each line holds the path (indented by depth), the state, how long the service has been
 * in it (`now - since`), and, when present, its restart count, the flags set (Mode's diag: what it
 * is doing, such as `@transitionsTo` flags) and the last crash reason.
 * @param snapshot - `root.toJSON()`
 * @param now - the current time on the tree's scheduler
 * @example
 * ```ts
 * process.stderr.write(formatTree(worker.toJSON(), worker.scheduler.now()).join('\n') + '\n');
 * // Worker              running   for 12.30 seconds
 * //   Worker/Db         running   for 12.28 seconds  flags: vacuuming
 * ```
 */
export function formatTree(snapshot: ServiceSnapshot, now: number): string[] {
  const rows: { label: string; state: string; rest: string }[] = [];
  const visit = (node: ServiceSnapshot, depth: number): void => {
    const details = [`for ${humanizeDuration(Math.max(0, now - node.since))}`];
    if (node.restartCount > 0) details.push(`restarts: ${node.restartCount}`);
    const under = [...(node.pending ?? []), ...node.flags];
    details.push(under.length > 0 ? `pending: ${under.join(', ')}` : 'pending: none');
    if (node.crashReason !== undefined) details.push(`crash: ${node.crashReason}`);
    rows.push({ label: `${'  '.repeat(depth)}${node.path}`, state: node.state, rest: details.join('  ') });
    for (const child of node.children) visit(child, depth + 1);
  };
  visit(snapshot, 0);
  const width = Math.max(...rows.map((r) => r.label.length));
  return rows.map((r) => `${r.label.padEnd(width)}  ${r.state.padEnd(8)}  ${r.rest}`);
}

/**
 * Names what a tree has under way: every service starting or stopping (`path (stopping)`) and every
 * diag flag set (`path:flag`). The `running` list of `blocked` events and forced exits.
 *
 * @example
 * ```ts
 * activityOf(worker.toJSON()); // ['Worker (stopping)', 'Worker/Db (stopping)', 'Worker/Db:vacuuming']
 * ```
 */
export function activityOf(snapshot: ServiceSnapshot): string[] {
  const out: string[] = [];
  const visit = (node: ServiceSnapshot): void => {
    if (node.state === 'starting' || node.state === 'stopping') out.push(`${node.path} (${node.state})`);
    for (const phase of node.pending ?? []) out.push(`${node.path}:${phase}`);
    for (const flag of node.flags) out.push(`${node.path}:${flag}`);
    for (const child of node.children) visit(child);
  };
  visit(snapshot);
  return out;
}

/**
 * The main thread's part of the SIGUSR1 dump: the last stall its BlockingDetector reported, with
 * the stack the watchdog captured during it.
 *
 * @remarks The stack of the main thread at the moment of the dump would only show the SIGUSR1
 * handler (the dump runs between two turns of the loop, so nothing else is running then); what
 * blocked the loop last is the useful stack, and the watchdog took it while the stall was on.
 * @param detector - the Worker's detector, undefined with `blockingTimeout: 0`
 * @param now - the current time on the detector's scheduler
 * @example
 * ```ts
 * formatMainThread(detector, detector.scheduler.now());
 * // ['main thread: idle (this dump runs between two turns of the loop)',
 * //  'last stall: 812 ms, 4.20 seconds ago, running: Worker/Db:timer:vacuum', '    at vacuum (…)']
 * ```
 */
export function formatMainThread(detector: BlockingDetector | undefined, now: number): string[] {
  const lines = ['main thread: idle (this dump runs between two turns of the loop)'];
  if (!detector) return [...lines, 'last stall: not watched (blockingTimeout: 0)'];
  const stall = detector.lastStall;
  if (!stall) return [...lines, `last stall: none longer than ${humanizeDuration(detector.timeoutMs)}`];
  const running =
    stall.running === undefined
      ? 'not seen'
      : stall.running.length > 0
        ? stall.running.join(' > ')
        : 'no marked work';
  lines.push(
    `last stall: ${stall.lagMs} ms, ${humanizeDuration(Math.max(0, now - stall.at))} ago, running: ${running}`,
  );
  if (stall.stack !== undefined) lines.push(stall.stack);
  else lines.push(`    (no stack: ${stall.noStack ?? 'not captured'})`);
  return lines;
}

/** What a ThreadService's thread was doing at the moment of a dump. */
export type ThreadStackOutcome =
  /** It was running JavaScript: its stack, as `    at fn (url:line:column)` lines. */
  | { readonly kind: 'stack'; readonly stack: string }
  /** It ran no JavaScript: `detail` says how it was seen so. */
  | { readonly kind: 'idle'; readonly detail: string }
  /** Its stack could not be taken, and why. */
  | { readonly kind: 'none'; readonly reason: string };

/**
 * The block of one ThreadService in the SIGUSR1 dump, written once its thread's capture settled.
 *
 * @param path - the ThreadService's path
 * @param threadId - its thread, when it has one
 * @example
 * ```ts
 * formatThreadStack('Worker/Hasher', 3, { kind: 'idle', detail: 'waiting for messages' });
 * // ['── Worker/Hasher (thread 3) ──', 'idle (waiting for messages)']
 * formatThreadStack('Worker/Hasher', 3, { kind: 'stack', stack: '    at hash (…)' });
 * // ['── Worker/Hasher (thread 3) ──', 'running JavaScript:', '    at hash (…)']
 * ```
 */
export function formatThreadStack(
  path: string,
  threadId: number | undefined,
  outcome: ThreadStackOutcome,
): string[] {
  const header = `── ${path}${threadId === undefined ? '' : ` (thread ${threadId})`} ──`;
  switch (outcome.kind) {
    case 'stack':
      return [header, 'running JavaScript:', outcome.stack];
    case 'idle':
      return [header, `idle (${outcome.detail})`];
    case 'none':
      return [header, `stack not capturable: ${outcome.reason}`];
  }
}
