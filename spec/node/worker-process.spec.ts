/**
 * The Worker in real processes: exit codes for each way a process ends, the stop order seen in the
 * output, second signals (and relayed repeats that are not), the shutdown timeout, the termination
 * grace period from the environment, SIGUSR1, drainDelay and a crash inside a thread.
 */
import { expect } from 'chai';
import { count, delay, httpGet, runFixture, stopAll, type FixtureProcess } from './helpers.js';

const app = (scenario: string): FixtureProcess => runFixture('worker-app.ts', [scenario]);

/** Starts the fixture with `env` added to this process's environment (spawn copies it at once). */
function appWithEnv(scenario: string, env: Record<string, string>): FixtureProcess {
  const saved = Object.keys(env).map((key) => [key, process.env[key]] as const);
  Object.assign(process.env, env);
  try {
    return app(scenario);
  } finally {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

/** Lines of `text` that contain `needle`, in order of their first appearance. */
function order(text: string, needles: string[]): string[] {
  return needles
    .map((needle) => ({ needle, at: text.indexOf(needle) }))
    .filter((entry) => entry.at >= 0)
    .sort((a, b) => a.at - b.at)
    .map((entry) => entry.needle);
}

describe('Worker (in a real process)', function () {
  this.timeout(15_000);

  describe('#runUntilExit() ending on its own', () => {
    // These processes need no signal: they start together, so their startups overlap.
    const launched = new Map<string, FixtureProcess>();
    before(() => {
      for (const scenario of ['start-crash', 'root-crash', 'uncaught', 'rejection', 'thread-crash']) {
        launched.set(scenario, app(scenario));
      }
    });
    after(stopAll);

    it('exits 1 after rolling back a crash during start, the error printed once', async () => {
      const proc = launched.get('start-crash')!;
      const { code } = await proc.exited;
      expect(code).to.equal(1);
      const out = proc.stdout();
      expect(out).not.to.include('READY');
      expect(order(out, ['Beta.onStart', 'Alpha.onStop', 'Alpha.onShutdown'])).to.deep.equal([
        'Beta.onStart',
        'Alpha.onStop',
        'Alpha.onShutdown',
      ]);
      expect(count(proc.stderr(), 'E_START_UNIQUE')).to.equal(1);
      expect(proc.stderr()).to.include('[Worker] crashed (escalated from Worker/Beta)');
    });

    it('exits 1 after a graceful stop when the root crashes, the error printed once', async () => {
      const proc = launched.get('root-crash')!; // Beta crashes 100 ms after it started; the crash escalates
      const { code } = await proc.exited;
      expect(code).to.equal(1);
      expect(proc.stdout()).to.include('Alpha.onShutdown');
      expect(count(proc.stderr(), 'E_ROOT_UNIQUE')).to.equal(1);
      expect(proc.stderr()).to.match(/at .*worker-app\.ts/); // with its stack
    });

    it('exits 1 after a graceful stop on an uncaught exception, the error printed once', async () => {
      const proc = launched.get('uncaught')!;
      const { code } = await proc.exited;
      expect(code).to.equal(1);
      expect(proc.stdout()).to.include('Alpha.onShutdown');
      expect(proc.stdout()).to.include('same-listeners=true');
      expect(proc.stderr()).to.include('uncaught exception: stopping the tree');
      expect(count(proc.stderr(), 'E_UNCAUGHT_UNIQUE')).to.equal(1);
    });

    it('exits 1 after a graceful stop on an unhandled rejection, the error printed once', async () => {
      const proc = launched.get('rejection')!;
      const { code } = await proc.exited;
      expect(code).to.equal(1);
      expect(proc.stdout()).to.include('Alpha.onShutdown');
      expect(proc.stderr()).to.include('unhandled rejection: stopping the tree');
      expect(count(proc.stderr(), 'E_REJECTION_UNIQUE')).to.equal(1);
    });

    it('exits 1 when a service inside a thread crashes, with the error of the thread', async () => {
      const proc = launched.get('thread-crash')!;
      const { code } = await proc.exited;
      expect(code).to.equal(1);
      const log = proc.stderr();
      expect(count(log, 'HashError: E_THREAD_UNIQUE')).to.equal(1);
      expect(log).to.match(/at .*thread-services\.ts/); // the stack from inside the thread
      expect(log).to.include('[Worker] crashed (escalated from Worker/Hasher)');
      expect(proc.stdout()).to.include('thread: Hasher onShutdown'); // torn down inside the thread too
      expect(proc.stdout()).to.include('Alpha.onShutdown');
    });
  });

  describe('#runUntilExit()', () => {
    afterEach(stopAll);

    it('stops the tree in reverse order on SIGTERM and exits 0', async () => {
      const proc = app('graceful');
      const [ready] = await proc.waitFor(/READY port=\d+/);
      proc.kill('SIGTERM');
      const { code } = await proc.exited;
      expect(code).to.equal(0);
      expect(proc.stdout().trim().split('\n')).to.deep.equal([
        'Alpha.onStart',
        'Alpha.onStarted',
        'Beta.onStart',
        'Beta.onStarted',
        ready,
        'Beta.onStop',
        'Beta.onShutdown',
        'Alpha.onStop',
        'Alpha.onShutdown',
        'EXIT code=0 same-listeners=true',
      ]);
      const log = proc.stderr();
      expect(
        order(log, ['[Worker/Beta] stopping', '[Worker/Alpha] stopping', '[Worker] stopped']),
      ).to.deep.equal(['[Worker/Beta] stopping', '[Worker/Alpha] stopping', '[Worker] stopped']);
      expect(log).to.include('[Worker] stopping (SIGTERM)');
    });

    it('stops gracefully on SIGINT and exits 0, every listener removed', async () => {
      const proc = app('graceful');
      await proc.waitFor(/READY/);
      proc.kill('SIGINT');
      expect((await proc.exited).code).to.equal(0);
      expect(proc.stdout()).to.include('Alpha.onShutdown');
      expect(proc.stdout()).to.include('same-listeners=true');
      expect(proc.stderr()).to.include('[Worker] stopping (SIGINT)');
    });

    it('stops what started and exits 0 on SIGTERM during the start', async () => {
      const proc = app('slow-start'); // Beta.onStart takes 500 ms
      await proc.waitFor(/Beta\.onStart/);
      proc.kill('SIGTERM');
      expect((await proc.exited).code).to.equal(0);
      const out = proc.stdout();
      expect(out).not.to.include('READY');
      expect(order(out, ['Beta.onStart', 'Beta.onStop', 'Alpha.onStop', 'Alpha.onShutdown'])).to.deep.equal([
        'Beta.onStart',
        'Beta.onStop',
        'Alpha.onStop',
        'Alpha.onShutdown',
      ]);
      expect(proc.stderr()).to.include('[Worker] stopping (SIGTERM)');
    });

    it('exits 130 at once on a second SIGINT during the stop', async () => {
      const proc = app('slow-stop'); // Beta.onStop takes 10 s; execute() exits with the code
      await proc.waitFor(/READY/);
      proc.kill('SIGINT');
      await proc.waitFor(/Beta\.onStop/);
      await delay(150); // later than a relay of the first signal would come
      const sent = Date.now();
      proc.kill('SIGINT');
      const { code, at } = await proc.exited;
      expect(code).to.equal(130);
      expect(at - sent).to.be.below(2000);
      expect(proc.stderr()).to.match(
        /SIGINT during the stop: exiting at once with code 130.*Worker\/Beta \(stopping\)/,
      );
      expect(proc.stdout()).not.to.include('Alpha.onStop');
    });

    it('takes a repeat within 100 ms as the same SIGINT, relayed by a parent, and exits 0', async () => {
      const proc = app('drain'); // drainDelay 600ms: the repeat arrives before the stop begins
      await proc.waitFor(/READY/);
      proc.kill('SIGINT');
      await delay(30); // as tsx relays it
      proc.kill('SIGINT');
      const { code } = await proc.exited;
      expect(code).to.equal(0);
      expect(proc.stdout()).to.include('Alpha.onShutdown');
      expect(proc.stderr()).to.include('SIGINT again within 100 ms: the same request');
      expect(proc.stderr()).not.to.include('exiting at once');
    });

    it('still exits 130 on a second SIGINT a second after the first', async () => {
      const proc = app('slow-stop');
      await proc.waitFor(/READY/);
      proc.kill('SIGINT');
      await delay(1000);
      proc.kill('SIGINT');
      expect((await proc.exited).code).to.equal(130);
      expect(proc.stderr()).to.include('SIGINT during the stop: exiting at once with code 130');
      expect(proc.stderr()).not.to.include('the same request');
    });

    it('exits 143 at once on a second SIGTERM during the stop', async () => {
      const proc = app('slow-stop');
      await proc.waitFor(/READY/);
      proc.kill('SIGTERM');
      await proc.waitFor(/Beta\.onStop/);
      await delay(150); // later than a relay of the first signal would come
      const sent = Date.now();
      proc.kill('SIGTERM');
      const { code, at } = await proc.exited;
      expect(code).to.equal(143);
      expect(at - sent).to.be.below(2000);
    });

    it('exits 1 when the shutdown timeout runs out, naming what was stuck', async () => {
      const proc = app('stuck'); // Beta.onStop never settles; shutdownTimeout 300ms
      await proc.waitFor(/READY/);
      const sent = Date.now();
      proc.kill('SIGTERM');
      const { code, at } = await proc.exited;
      expect(code).to.equal(1);
      expect(at - sent).to.be.within(250, 3000);
      expect(proc.stderr()).to.match(/stop timed out stuck=Worker\/Beta onStop \(\d+ ms\)/);
      expect(proc.stdout()).to.include('Alpha.onShutdown'); // the rest of the tree still stopped
    });
  });

  describe('RXMODE_TERMINATION_GRACE_PERIOD', () => {
    afterEach(stopAll);

    it('sets the shutdown timeout to what the grace period leaves after a 2 s margin', async () => {
      const proc = appWithEnv('grace', { RXMODE_TERMINATION_GRACE_PERIOD: '2.4s' }); // Beta.onStop hangs
      await proc.waitFor(/READY/);
      const sent = Date.now();
      proc.kill('SIGTERM');
      const { code, at } = await proc.exited;
      expect(code).to.equal(1);
      expect(at - sent).to.be.within(350, 3000); // 400 ms, then the exit
      expect(proc.stderr()).to.match(/stop timed out stuck=Worker\/Beta onStop \(\d+ ms\)/);
    });

    it('refuses to start when shutdownTimeout does not fit, naming the three values', async () => {
      const proc = appWithEnv('graceful', { RXMODE_TERMINATION_GRACE_PERIOD: '3' }); // shutdownTimeout 5s
      expect((await proc.exited).code).to.equal(1);
      expect(proc.stdout()).not.to.include('READY');
      expect(proc.stderr()).to.include(
        'TypeError: drainDelay (0 ms) + shutdownTimeout (5.00 seconds) do not fit in RXMODE_TERMINATION_GRACE_PERIOD=3 (3.00 seconds)',
      );
    });
  });

  describe('SIGUSR1', () => {
    afterEach(stopAll);

    it('writes the tree to stderr and keeps running', async () => {
      const proc = app('graceful');
      const port = Number((await proc.waitFor(/READY port=(\d+)/))[1]);
      proc.kill('SIGUSR1');
      await proc.waitFor(/Worker\/Beta\s+running\s+for [\d.]+ \w+\s+pending: none/, 'stderr');
      expect(proc.stderr()).to.match(/── Worker \(pid \d+\) ──\nWorker\s+running\s+for /);
      expect(proc.stderr()).to.match(/\n {2}Worker\/BlockingDetector\s+running/);
      expect((await httpGet(port, '/readyz')).status).to.equal(200); // still running
      proc.kill('SIGTERM');
      expect((await proc.exited).code).to.equal(0);
    });
  });

  describe('drainDelay', () => {
    afterEach(stopAll);

    it('turns readiness 503 at the signal, before any stop hook runs', async () => {
      const proc = app('drain'); // drainDelay 600ms
      const port = Number((await proc.waitFor(/READY port=(\d+)/))[1]);
      expect((await httpGet(port, '/readyz')).status).to.equal(200);
      proc.kill('SIGTERM');
      let ready = await httpGet(port, '/readyz');
      for (let i = 0; ready.status === 200 && i < 50; i++) {
        await delay(10);
        ready = await httpGet(port, '/readyz');
      }
      const hooksRunWhenNotReady = proc.stdout().includes('onStop');
      expect(ready).to.deep.include({ status: 503 });
      expect(ready.body).to.equal('terminating (SIGTERM)\n');
      expect(hooksRunWhenNotReady).to.equal(false);
      expect((await httpGet(port, '/livez')).status).to.equal(200);
      expect((await proc.exited).code).to.equal(0);
      expect(proc.stdout()).to.include('Beta.onStop');
      expect(proc.stderr()).to.include('SIGTERM: not ready; stopping in 600 ms');
    });
  });

  describe('logFormat: json', () => {
    afterEach(stopAll);

    it('writes one JSON object per line, labelled with the service path', async () => {
      const proc = app('json');
      await proc.waitFor(/READY/);
      proc.kill('SIGTERM');
      expect((await proc.exited).code).to.equal(0);
      const records = proc
        .stderr()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(records.length).to.be.greaterThan(10);
      for (const record of records) expect(record).to.include.keys('time', 'level', 'service', 'msg');
      expect(records.filter((r) => r.msg === 'stopping').map((r) => r.service)).to.deep.equal([
        'Worker/Beta',
        'Worker/Alpha',
        'Worker/BlockingDetector',
      ]);
      expect(records.at(-1)).to.deep.include({ level: 'info', service: 'Worker', msg: 'exit code 0' });
    });
  });
});
