/**
 * The main demo as a terminal runs it: `tsx demos/worker.ts` in a process group of its own, with
 * Ctrl-C sent to the whole group (so tsx receives it too and relays it to the demo).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { delay } from './helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');

interface Demo {
  readonly child: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  readonly exited: Promise<number | null>;
  /** Sends `signal` to the whole process group, as a terminal does on Ctrl-C. */
  killGroup(signal: NodeJS.Signals): void;
}

const started = new Set<Demo>();

/** Starts `tsx demos/worker.ts` as the leader of a new process group. */
function startDemo(): Demo {
  const child = spawn(process.execPath, [tsxCli, 'demos/worker.ts'], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', PORT: '0' },
  });
  let text = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let ended = false;
  void exited.then(() => (ended = true));
  const demo: Demo = {
    child,
    output: () => text,
    exited,
    async waitFor(pattern, timeoutMs = 20_000) {
      const end = Date.now() + timeoutMs;
      while (!pattern.test(text)) {
        if (ended || Date.now() > end) throw new Error(`no ${pattern} in the demo's output:\n${text}`);
        await delay(20);
      }
    },
    killGroup: (signal) => process.kill(-child.pid!, signal),
  };
  started.add(demo);
  void exited.then(() => started.delete(demo));
  return demo;
}

/** The lines of `text` that contain one of `needles`, as the needle, in order. */
function inOrder(text: string, needles: string[]): string[] {
  return text
    .split('\n')
    .map((line) => needles.find((needle) => line.includes(needle)))
    .filter((needle): needle is string => needle !== undefined);
}

/** What the demo logs as it stops: its services in the reverse of their start order, then the exit. */
const STOP_ORDER = [
  '[Worker/Consumers] stopping',
  '[Worker/Producer] stopping',
  '[Worker/Hasher] stopping',
  '[Worker/BlockingDetector] stopping',
  '[Worker] stopped',
  '[Worker] exit code 0',
];

describe('demos/worker.ts under tsx (npm start)', function () {
  this.timeout(40_000);

  afterEach(() => {
    for (const demo of started) {
      try {
        demo.killGroup('SIGKILL');
      } catch {
        // the group is gone already
      }
    }
    started.clear();
  });

  it('stops gracefully in reverse order and exits 0 on one Ctrl-C to the process group', async () => {
    // Whether tsx relays the signal again depends on timing (it does when the demo has not told it
    // within 30 ms that the signal arrived), so three demos run: each must end the same way.
    const demos = [startDemo(), startDemo(), startDemo()];
    await Promise.all(
      demos.map(async (demo) => {
        await demo.waitFor(/Ctrl-C: readiness turns 503/);
        await demo.waitFor(/job 1 →/);
        demo.killGroup('SIGINT');
        await demo.exited;
      }),
    );
    for (const demo of demos) {
      const out = demo.output();
      expect(await demo.exited, out).to.equal(0);
      expect(out).to.include('[Worker] SIGINT: not ready; stopping in 1.00 second');
      expect(out).not.to.include('exiting at once');
      expect(inOrder(out, STOP_ORDER)).to.deep.equal(STOP_ORDER);
    }
  });

  it('still exits 130 on a second Ctrl-C a second later', async () => {
    const demo = startDemo();
    await demo.waitFor(/Ctrl-C: readiness turns 503/);
    demo.killGroup('SIGINT');
    await delay(1000);
    demo.killGroup('SIGINT');
    expect(await demo.exited).to.equal(130);
    expect(demo.output()).to.include('SIGINT during the stop: exiting at once with code 130');
  });
});
