// Readiness with a LeaderService (API.md sections 9 and 13): the children a follower holds stopped
// do not make /readyz fail; the children of the leader count as usual.
import { expect } from 'chai';
import { LeaderService, Service, silentLogger } from '../../lib/index.js';
import { Worker } from '../../lib/node/index.js';
import { createMemoryLease } from '../../lib/testing/index.js';
import { deferred } from '../support/lifecycle.js';
import { httpGet } from '../node/helpers.js';

const HEALTH = { port: 0, host: '127.0.0.1' };

describe('LeaderService and /readyz', () => {
  it('is ready on a follower whose children are held stopped, and while the leader’s children run', async () => {
    const lease = createMemoryLease({ name: 'jobs' });
    const holder = await lease.acquire(new AbortController().signal); // another replica leads
    const leader = new LeaderService(lease, { name: 'Leader' });
    const gate = deferred();
    class SlowJob extends Service {
      protected override onStart(): Promise<void> {
        return gate.promise;
      }
    }
    const job = leader.addDependency(new SlowJob({ name: 'Job' }));
    const worker = new Worker(leader, { health: HEALTH, logger: silentLogger, blockingTimeout: 0 });
    const exit = worker.runUntilExit();
    await worker.waitFor('running');
    const { port } = worker.healthAddress!;
    expect(job.state).to.equal('init');
    expect(await httpGet(port, '/readyz')).to.deep.equal({ status: 200, body: 'ok\n' });
    const state = JSON.parse((await httpGet(port, '/state')).body) as { children: { leader?: boolean }[] };
    expect(state.children[0]!.leader).to.equal(false);

    await holder.release(); // this replica leads: its child starts and counts
    await job.waitFor('starting');
    expect(leader.isLeader).to.equal(true);
    expect(await httpGet(port, '/readyz')).to.deep.equal({
      status: 503,
      body: 'Worker/Leader/Job is starting\n',
    });
    gate.resolve();
    await job.waitFor('running');
    expect((await httpGet(port, '/readyz')).status).to.equal(200);
    await worker.stop();
    expect(await exit).to.equal(0);
  });
});
