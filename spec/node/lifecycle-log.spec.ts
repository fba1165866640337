/**
 * The lifecycle log of a tree: what a Worker prints as services start, stop and crash.
 */
import { expect } from 'chai';
import { Service, type Logger } from '../../lib/index.js';
import { logLifecycle } from '../../lib/node/index.js';

function recorder(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log =
    (level: string) =>
    (fields: object | string, msg?: string): void => {
      const service = typeof fields === 'string' ? '' : String((fields as { service?: string }).service);
      lines.push(`${level} ${service}: ${typeof fields === 'string' ? fields : (msg ?? '')}`);
    };
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
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
});
