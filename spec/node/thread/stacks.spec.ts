/**
 * The stacks of ThreadService threads for the SIGUSR1 dump, with real threads: a busy thread's
 * stack mapped to its source, an idle thread said idle and left running, a thread in native code
 * reported within its budget, each thread settled on its own, and the refusals (no thread, an
 * earlier capture under way, a stop during the capture). The dump in a real process is in
 * spec/node/thread-dump-process.spec.ts.
 */
import { expect } from 'chai';
import { Service } from '../../../lib/index.js';
import { formatThreadStack, type ThreadStackOutcome } from '../../../lib/node/dump.js';
import { ThreadService } from '../../../lib/node/index.js';
import {
  captureThreadStacks,
  threadTargets,
  type ThreadStackBudgets,
  type ThreadTarget,
} from '../../../lib/node/thread/stacks.js';
import type { ThreadSpinner } from '../fixtures/thread-spinner.js';
import { delay, fixturePath } from '../helpers.js';

const MODULE = fixturePath('thread-spinner.ts');

/** No heartbeat: an idle thread then runs no JavaScript at all while it is captured. */
const spinnerThread = (name = 'Spinner'): ThreadService<never, ThreadSpinner> =>
  new ThreadService<never, ThreadSpinner>(MODULE, { export: 'ThreadSpinner', name, blockingTimeout: 0 });

const targetOf = (thread: ThreadService): ThreadTarget => ({ path: thread.path, threadId: thread.threadId });

interface Settled {
  readonly path: string;
  readonly outcome: ThreadStackOutcome;
  /** ms since the capture began */
  readonly after: number;
}

/** Runs a capture and collects what settles, with when. */
async function capture(
  targets: ThreadTarget[],
  options: { signal?: AbortSignal; budgets?: ThreadStackBudgets } = {},
): Promise<Settled[]> {
  const settled: Settled[] = [];
  const began = performance.now();
  await captureThreadStacks(
    targets,
    (target, outcome) => settled.push({ path: target.path, outcome, after: performance.now() - began }),
    options,
  );
  return settled;
}

describe('captureThreadStacks()', function () {
  this.timeout(20_000);
  const started: Service<any>[] = [];
  const start = async <S extends Service<any>>(service: S): Promise<S> => {
    started.push(service);
    await service.start();
    return service;
  };
  afterEach(async () => {
    await Promise.all(started.splice(0).map((service) => service.stop().catch(() => {})));
  });

  it("gives a busy thread's stack, mapped to the TypeScript source", async () => {
    const thread = await start(spinnerThread());
    const spinning = thread.call('spin', 2000, false);
    await delay(500); // the thread is in spinInThread by now
    const [result] = await capture([targetOf(thread)]);
    expect(result!.outcome.kind, JSON.stringify(result)).to.equal('stack');
    const { stack } = result!.outcome as { stack: string };
    expect(stack.split('\n')[0]).to.match(/^ {4}at spinInThread \(.*thread-spinner\.ts:\d+:\d+\)$/);
    expect(stack).to.match(/^ {4}at spin \(.*thread-spinner\.ts:\d+:\d+\)$/m);
    expect(result!.after).to.be.below(3000); // it paused at once, not after a budget
    expect(await spinning).to.be.a('number'); // resumed: the call finishes
  });

  it('says an idle thread is idle and leaves it running', async () => {
    const thread = await start(spinnerThread());
    const [result] = await capture([targetOf(thread)]);
    expect(result!.outcome).to.deep.equal({ kind: 'idle', detail: 'waiting for messages' });
    // the pause asked for was dropped: the thread's next JavaScript runs and answers at once
    const began = performance.now();
    await thread.call('spin', 1, false);
    expect(performance.now() - began).to.be.below(1500);
  });

  it('settles each thread on its own: a busy one before an idle one', async () => {
    const busy = await start(spinnerThread('Busy'));
    const idle = await start(spinnerThread('Idle'));
    const spinning = busy.call('spin', 2500, false);
    await delay(500);
    const settled = await capture([targetOf(idle), targetOf(busy)]);
    expect(settled.map((s) => [s.path, s.outcome.kind])).to.deep.equal([
      ['Busy', 'stack'],
      ['Idle', 'idle'],
    ]);
    expect(settled[0]!.after).to.be.below(settled[1]!.after);
    await spinning;
  });

  it('reports a thread in a long native call as not capturable, within its budget', async () => {
    const thread = await start(spinnerThread());
    const waiting = thread.call('waitForChild', 3000);
    await delay(500);
    const [result] = await capture([targetOf(thread)], {
      budgets: { attachMs: 1000, answerMs: 400, pauseMs: 200 },
    });
    expect(result!.outcome).to.deep.equal({
      kind: 'none',
      reason: 'the thread did not answer the inspector within 400 ms (in a long native call?)',
    });
    expect(result!.after).to.be.below(2500);
    await waiting; // the debugger it never saw enabled does not stop it later
    const began = performance.now();
    await thread.call('spin', 1, false);
    expect(performance.now() - began).to.be.below(1500);
  });

  it('reports a ThreadService without a thread as not capturable', async () => {
    const settled = await capture([targetOf(spinnerThread())]);
    expect(settled.map((s) => s.outcome)).to.deep.equal([{ kind: 'none', reason: 'no thread is running' }]);
  });

  it('refuses a capture while an earlier one is under way', async () => {
    const thread = await start(spinnerThread());
    const [first, second] = await Promise.all([capture([targetOf(thread)]), capture([targetOf(thread)])]);
    expect(first[0]!.outcome.kind).to.equal('idle');
    expect(second[0]!.outcome).to.deep.equal({
      kind: 'none',
      reason: 'the capture of an earlier dump is still under way',
    });
    const [third] = await capture([targetOf(thread)]); // the guard is let go at the end
    expect(third!.outcome.kind).to.equal('idle');
  });

  it('settles as not capturable when aborted, and leaves the thread running', async () => {
    const thread = await start(spinnerThread());
    const controller = new AbortController();
    const capturing = capture([targetOf(thread)], { signal: controller.signal });
    await delay(20);
    controller.abort();
    const [result] = await capturing;
    expect(result!.outcome.kind).to.equal('none');
    expect((result!.outcome as { reason: string }).reason).to.equal('the Worker stopped during the capture');
    const began = performance.now();
    await thread.call('spin', 1, false);
    expect(performance.now() - began).to.be.below(1500);
  });
});

describe('threadTargets()', () => {
  it('lists the ThreadServices of a tree, depth first, with their threads', () => {
    const inner = spinnerThread('Inner');
    const group = new Service({ name: 'Group' });
    group.addDependency(inner);
    const root = new Service({ name: 'Root' });
    const outer = root.addDependency(spinnerThread('Outer'));
    root.addDependency(group);
    expect(threadTargets(root)).to.deep.equal([
      { path: outer.path, threadId: undefined },
      { path: 'Root/Group/Inner', threadId: undefined },
    ]);
  });
});

describe('formatThreadStack()', () => {
  it('labels each block with the path and the thread', () => {
    expect(
      formatThreadStack('Worker/Hasher', 3, { kind: 'stack', stack: '    at hash (a.ts:1:1)' }),
    ).to.deep.equal(['── Worker/Hasher (thread 3) ──', 'running JavaScript:', '    at hash (a.ts:1:1)']);
    expect(
      formatThreadStack('Worker/Hasher', 3, { kind: 'idle', detail: 'waiting for messages' }),
    ).to.deep.equal(['── Worker/Hasher (thread 3) ──', 'idle (waiting for messages)']);
    expect(
      formatThreadStack('Worker/Hasher', undefined, { kind: 'none', reason: 'no thread is running' }),
    ).to.deep.equal(['── Worker/Hasher ──', 'stack not capturable: no thread is running']);
  });
});
