/**
 * The lifecycle log of a tree: what a Worker prints as services start, stop and crash.
 */
import { expect } from 'chai';
import { LeaderService, Service, type Logger } from '../../lib/index.js';
import { logLifecycle } from '../../lib/node/index.js';
import { createMemoryLease, createVirtualClock } from '../../lib/testing/index.js';

/** Records `level service: message` lines, and each record's fields. */
function recorder(): Logger & { lines: string[]; fields: Record<string, unknown>[] } {
  const lines: string[] = [];
  const fields: Record<string, unknown>[] = [];
  const log =
    (level: string) =>
    (first: object | string, msg?: string): void => {
      const service = typeof first === 'string' ? '' : String((first as { service?: string }).service);
      lines.push(`${level} ${service}: ${typeof first === 'string' ? first : (msg ?? '')}`);
      fields.push(typeof first === 'string' ? {} : { ...first });
    };
  return { lines, fields, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

describe('logLifecycle()', () => {
  it('logs starts, stops and their reasons, labelled with the path, until unsubscribed', async () => {
    const app = new Service({ name: 'App' });
    app.addDependency(new Service({ name: 'Db' }));
    const logger = recorder();
    const subscription = logLifecycle(app, logger);
    await app.start();
    await app.stop({ type: 'signal', signal: 'SIGTERM' });
    subscription.unsubscribe();
    await app.start();
    await app.stop();
    expect(logger.lines.map((l) => l.replace(/\d+ ms/, 'N ms'))).to.deep.equal([
      'info App: starting',
      'info App/Db: starting',
      'info App/Db: running (started in N ms)',
      'info App: running (started in N ms)',
      'info App: stopping (SIGTERM)',
      'info App/Db: stopping',
      'info App/Db: stopped (in N ms)',
      'info App: stopped (in N ms)',
    ]);
  });

  it('leaves a crash to the service where it happened and says where an escalated one came from', async () => {
    const app = new Service({ name: 'App' });
    const db = app.addDependency(new Service({ name: 'Db' }));
    const logger = recorder();
    const subscription = logLifecycle(app, logger);
    await app.start();
    db.crash(new Error('gone'));
    await app.waitUntilStopped();
    subscription.unsubscribe();
    expect(logger.lines.filter((l) => l.includes('crash'))).to.deep.equal([
      'error App: crashed (escalated from App/Db)',
    ]);
  });

  it('warns about a failed stop hook without its stack', async () => {
    class Leaky extends Service {
      protected override onStop(): void {
        throw new Error('pool busy');
      }
    }
    const app = new Leaky({ name: 'Leaky' });
    const logger = recorder();
    const subscription = logLifecycle(app, logger);
    await app.start();
    await app.stop().catch(() => {});
    subscription.unsubscribe();
    expect(logger.lines).to.include('warn Leaky: onStop failed: Error: pool busy');
  });

  it('shows each term of a LeaderService once (info with the token, warn with the reason when lost) and why its children stop', async () => {
    const clock = createVirtualClock();
    const logger = recorder();
    const lease = createMemoryLease({ name: 'jobs' });
    const app = new Service({ name: 'App', logger, scheduler: clock.scheduler });
    const a = app.addDependency(new LeaderService(lease, { name: 'A', scheduler: clock.scheduler }));
    a.addDependency(new Service({ name: 'Job', scheduler: clock.scheduler }));
    app.addDependency(new LeaderService(lease, { name: 'B', scheduler: clock.scheduler }));
    const subscription = logLifecycle(app, logger);
    await app.start();
    await clock.flush();
    const lost = new Error('renewal failed');
    lease.expire(lost);
    await clock.flush();
    await app.stop();
    subscription.unsubscribe();
    const shown = logger.lines
      .map((line, i) => ({ line, fields: logger.fields[i]! }))
      .filter(({ line }) => /lead|lease|term|follow/.test(line));
    // what a Worker prints at info and above: one line per term begun or lost (B takes the lease
    // at once; A's last term begins when B gives the lease up during the stop)
    expect(shown.filter(({ line }) => !line.startsWith('debug')).map(({ line }) => line)).to.deep.equal([
      'info App/A: leading',
      'info App/B: leading',
      'warn App/A: lease lost; stopping the children',
      'info App/A/Job: stopping (lease jobs lost)',
      'info App/A: leading',
    ]);
    expect(shown.find(({ line }) => line === 'info App/A: leading')?.fields).to.include({
      lease: 'jobs',
      token: '1',
    });
    expect(shown.find(({ line }) => line === 'info App/B: leading')?.fields).to.include({ token: '2' });
    expect(shown.find(({ line }) => line.startsWith('warn App/A'))?.fields.err).to.equal(lost);
    // and the trace of every leader event at debug
    expect(shown.filter(({ line }) => line.startsWith('debug')).map(({ line }) => line)).to.deep.equal([
      'debug App/A: leader: term began',
      'debug App/B: leader: term began',
      'debug App/A: leader: following',
      'debug App/B: leader: term released',
      'debug App/A: leader: term began',
      'debug App/A: leader: term released',
    ]);
  });

  it('warns once, with the reason, when acquiring the lease fails', async () => {
    const clock = createVirtualClock();
    const logger = recorder();
    const refused = new Error('connection refused');
    let failures = 1;
    const inner = createMemoryLease({ name: 'jobs' });
    const lease = {
      name: 'jobs',
      acquire: (signal: AbortSignal) => (failures-- > 0 ? Promise.reject(refused) : inner.acquire(signal)),
    };
    const app = new LeaderService(lease, {
      name: 'A',
      logger,
      scheduler: clock.scheduler,
      retry: { initial: 100, max: 100 },
    });
    const subscription = logLifecycle(app, logger);
    await app.start();
    await clock.advance(100);
    expect(app.isLeader).to.equal(true);
    await app.stop();
    subscription.unsubscribe();
    const warnings = logger.lines.filter((line) => line.startsWith('warn'));
    expect(warnings).to.deep.equal(['warn A: acquiring the lease failed; retrying']);
    expect(logger.fields[logger.lines.indexOf(warnings[0]!)]).to.include({ err: refused, lease: 'jobs' });
    expect(logger.lines).to.include('debug A: leader: following');
  });
});
