/**
 * The thread stacks of the SIGUSR1 dump in a real process: the tree is written at once, then a
 * block for the ThreadService says its thread is idle, or gives the stack of the code it spins in;
 * the process keeps running and stops cleanly afterwards; with an inspector already open the block
 * says why there is no stack.
 */
import { expect } from 'chai';
import { delay, runFixture, stopAll, type FixtureProcess } from './helpers.js';

/** The block of the fixture's ThreadService: its header, the state line and any stack lines. */
const BLOCK =
  /^── Worker\/ThreadSpinner \(thread \d+\) ──\n(running JavaScript:\n( {4}.*\n)+|(?!running).+\n)/m;

/** Sends SIGUSR1; resolves with what came before the ThreadService's block, the block, and when. */
async function dump(proc: FixtureProcess): Promise<{ tree: string; block: string; ms: number }> {
  const from = proc.stderr().length;
  const began = Date.now();
  proc.kill('SIGUSR1');
  for (;;) {
    const text = proc.stderr().slice(from);
    const match = BLOCK.exec(text);
    if (match) return { tree: text.slice(0, match.index), block: match[0], ms: Date.now() - began };
    if (Date.now() - began > 8000) throw new Error(`no block of Worker/ThreadSpinner within 8 s:\n${text}`);
    await delay(50);
  }
}

describe('Worker: thread stacks in the SIGUSR1 dump (in a real process)', function () {
  this.timeout(40_000);
  afterEach(stopAll);

  it('shows an idle thread as idle, a spinning one with its stack, and keeps running', async () => {
    const proc = runFixture('thread-dump-app.ts', ['dump']);
    await proc.waitFor(/^READY$/m, 'stdout', 20_000);

    const idle = await dump(proc);
    expect(idle.tree).to.match(/^── Worker \(pid \d+\) ──$/m); // the tree comes first
    expect(idle.tree).to.match(/^ {2}Worker\/ThreadSpinner\s+running/m);
    expect(idle.tree).to.include('thread stacks follow: Worker/ThreadSpinner');
    expect(idle.block.split('\n')[1]).to.match(/^idle \((waiting for messages|between two tasks)\)$/);
    expect(idle.ms).to.be.below(5000);

    const spinFrom = proc.stderr().length;
    proc.kill('SIGUSR2'); // the thread spins 4 s in spinInThread
    await proc.waitFor(/SPIN-START/, 'stderr');
    const busy = await dump(proc);
    const lines = busy.block.trimEnd().split('\n');
    expect(lines[1]).to.equal('running JavaScript:');
    expect(lines[2]).to.match(/^ {4}at spinInThread \(.*thread-spinner\.ts:\d+:\d+\)$/);
    expect(busy.ms).to.be.below(3500); // taken while the spin was on
    expect(
      proc.stderr().slice(spinFrom).indexOf('SPIN-END'),
      'the block comes before the spin ends',
    ).to.equal(-1);

    await proc.waitFor(/^CALLED \d+$/m, 'stdout', 15_000); // the thread went on and finished the call
    const after = await dump(proc);
    expect(after.block.split('\n')[1]).to.match(/^idle \(/);

    proc.kill('SIGTERM');
    const { code } = await proc.exited;
    expect(code).to.equal(0);
    expect(proc.stdout()).to.include('EXIT code=0');
    expect(proc.stdout()).not.to.include('CALL-FAILED');
  });

  it('says why there is no stack when an inspector is already open', async () => {
    const proc = runFixture('thread-dump-app.ts', ['inspect']);
    await proc.waitFor(/^READY$/m, 'stdout', 20_000);
    const { block } = await dump(proc);
    expect(block.split('\n')[1]).to.equal(
      'stack not capturable: an inspector is open (--inspect): the dump does not pause threads under a debugger',
    );
    proc.kill('SIGTERM');
    expect((await proc.exited).code).to.equal(0);
  });
});
