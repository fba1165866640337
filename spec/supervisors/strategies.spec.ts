// Specs for the six supervisor strategies (API.md section 6): which children a crash stops and
// starts again, in which order and with which stop reasons, and what the decisions say.
import { expect } from 'chai';
import { Service } from '../../lib/index.js';
import {
  CrashingSupervisor,
  ForfeitOneForAllSupervisor,
  ForfeitOneForOneSupervisor,
  OneForAllSupervisor,
  OneForOneSupervisor,
  RestForOneSupervisor,
} from '../../lib/supervisors/index.js';
import { deferred, flush, outcome, probe, recordEvents, throws } from '../support/lifecycle.js';
import { decisionLog } from './support.js';

/** The log entries written after `mark` (exclusive). */
function after(log: string[], mark: number): string[] {
  return log.slice(mark);
}

describe('OneForOneSupervisor', () => {
  it('restarts only the crashed child, through its onRestart hook', async () => {
    const log: string[] = [];
    const sup = new OneForOneSupervisor({ name: 'sup' });
    const [a, b, c] = [probe(log, 'A'), probe(log, 'B'), probe(log, 'C')];
    sup.add(a, b, c);
    await sup.start();
    const mark = log.length;
    b.crash(new Error('boom'));
    await flush();
    expect(after(log, mark)).to.deep.equal([
      'B.onCrash',
      'B.onStop',
      'B.onShutdown',
      'B.onRestart',
      'B.onStart',
      'B.onStarted',
    ]);
    expect([a.state, b.state, c.state]).to.deep.equal(['running', 'running', 'running']);
    expect([a.restartCount, b.restartCount, c.restartCount]).to.deep.equal([0, 1, 0]);
    expect(b.crashReason).to.equal(undefined);
    await sup.stop();
  });

  it('decides at once, while the crashed child is still crashed, and restarts it afterwards', async () => {
    const sup = new OneForOneSupervisor({ name: 'sup' });
    const child = new Service({ name: 'child' });
    sup.add(child);
    const decisions = decisionLog(sup);
    await sup.start();
    child.crash(new Error('boom'));
    expect(decisions).to.deep.equal(['child:restart#1+0']);
    expect(child.state).to.equal('crashed');
    await flush();
    expect(child.state).to.equal('running');
    await sup.stop();
  });

  it('treats a child that fails to start again as a crash, and tries again', async () => {
    const log: string[] = [];
    let starts = 0;
    const failing = throws(new Error('no connection'));
    const child = probe(log, 'child', {
      hooks: { onStart: (s) => (++starts === 2 ? failing(s) : undefined) },
    });
    const sup = new OneForOneSupervisor({ name: 'sup' }).add(child);
    const decisions = decisionLog(sup);
    await sup.start();
    child.crash(new Error('boom'));
    await flush();
    expect(decisions).to.deep.equal(['child:restart#1+0', 'child:restart#2+0']);
    expect(child.state).to.equal('running');
    expect(child.restartCount).to.equal(2);
    await sup.stop();
  });

  it('treats a failing onRestart (the child stays stopped) as a crash', async () => {
    const log: string[] = [];
    let restarts = 0;
    const failing = throws(new Error('cannot reset'));
    const child = probe(log, 'child', {
      hooks: { onRestart: (s) => (++restarts === 1 ? failing(s) : undefined) },
    });
    const sup = new OneForOneSupervisor({ name: 'sup' }).add(child);
    const decisions = decisionLog(sup);
    await sup.start();
    child.crash(new Error('boom'));
    await flush();
    expect(decisions).to.deep.equal(['child:restart#1+0', 'child:restart#2+0']);
    expect(child.state).to.equal('running');
    expect(restarts).to.equal(2);
    await sup.stop();
  });

  it('does not restart a child that crashes while the supervisor is stopping', async () => {
    const log: string[] = [];
    const gate = deferred();
    const a = probe(log, 'A');
    const b = probe(log, 'B', { hooks: { onStop: () => gate.promise } });
    const sup = new OneForOneSupervisor({ name: 'sup' }).add(a, b);
    const decisions = decisionLog(sup);
    await sup.start();
    const stopping = sup.stop();
    await flush();
    expect(b.state).to.equal('stopping');
    a.crash(new Error('late'));
    gate.resolve();
    await stopping;
    await flush();
    expect(decisions).to.deep.equal([]);
    expect([sup.state, a.state, b.state]).to.deep.equal(['stopped', 'crashed', 'stopped']);
    expect(a.restartCount).to.equal(0);
  });

  it('fails its own start when a child fails to start, as an escalate decision', async () => {
    const log: string[] = [];
    const error = new Error('bad config');
    const a = probe(log, 'A');
    const b = probe(log, 'B', { hooks: { onStart: throws(error) } });
    const sup = new OneForOneSupervisor({ name: 'sup' }).add(a, b);
    const decisions = decisionLog(sup);
    const started = await outcome(sup.start());
    expect(started.ok).to.equal(false);
    expect(!started.ok && started.error).to.equal(error);
    expect(decisions).to.deep.equal(['B:escalate#1+0']);
    expect([sup.state, a.state, b.state]).to.deep.equal(['crashed', 'stopped', 'crashed']);
  });

  it('restarts a child that crashed while the supervisor was still starting, once it runs', async () => {
    const log: string[] = [];
    const gate = deferred();
    const a = probe(log, 'A');
    const b = probe(log, 'B', { hooks: { onStart: () => gate.promise } });
    const sup = new OneForOneSupervisor({ name: 'sup' }).add(a, b);
    const decisions = decisionLog(sup);
    const starting = sup.start();
    await flush();
    a.crash(new Error('early'));
    await flush();
    expect(decisions).to.deep.equal(['A:restart#1+0']);
    expect(a.state).to.equal('crashed');
    gate.resolve();
    await starting;
    await flush();
    expect([sup.state, a.state, b.state]).to.deep.equal(['running', 'running', 'running']);
    await sup.stop();
  });
});

describe('OneForAllSupervisor', () => {
  it('stops every other child in reverse order, then starts all of them again in order', async () => {
    const log: string[] = [];
    const sup = new OneForAllSupervisor({ name: 'sup' });
    const [a, b, c] = [probe(log, 'A'), probe(log, 'B'), probe(log, 'C')];
    sup.add(a, b, c);
    const events = recordEvents(sup);
    await sup.start();
    const mark = log.length;
    b.crash(new Error('boom'));
    await flush();
    expect(after(log, mark)).to.deep.equal([
      'B.onCrash',
      'B.onStop',
      'B.onShutdown',
      'C.onStop',
      'C.onShutdown',
      'A.onStop',
      'A.onShutdown',
      'A.onRestart',
      'A.onStart',
      'A.onStarted',
      'B.onRestart',
      'B.onStart',
      'B.onStarted',
      'C.onRestart',
      'C.onStart',
      'C.onStarted',
    ]);
    const stops = events
      .ofType('state')
      .filter((e) => e.to === 'stopping')
      .map((e) => [e.service.name, e.reason]);
    expect(stops).to.deep.equal([
      ['C', { type: 'supervisor', decision: 'restart' }],
      ['A', { type: 'supervisor', decision: 'restart' }],
    ]);
    expect([a.restartCount, b.restartCount, c.restartCount]).to.deep.equal([1, 1, 1]);
    events.stop();
    await sup.stop();
  });

  it('joins crashes that come before the restart into it: one restart of the group, counted once', async () => {
    const sup = new OneForAllSupervisor({ name: 'sup', maxRestarts: 1 });
    const [a, b, c] = ['A', 'B', 'C'].map((name) => new Service({ name }));
    sup.add(a!, b!, c!);
    const decisions = decisionLog(sup);
    await sup.start();
    a!.crash(new Error('one'));
    c!.crash(new Error('two'));
    await flush();
    expect(decisions).to.deep.equal(['A:restart#1+0', 'C:restart#1+0']);
    expect(sup.state).to.equal('running');
    expect([a!.restartCount, b!.restartCount, c!.restartCount]).to.deep.equal([1, 1, 1]);
    expect([a!.state, b!.state, c!.state]).to.deep.equal(['running', 'running', 'running']);
    await sup.stop();
  });

  it('restarts every child after a permanent child stopped on its own', async () => {
    const sup = new OneForAllSupervisor({ name: 'sup' });
    const [a, b] = [new Service({ name: 'A' }), new Service({ name: 'B' })];
    sup.add(a, b);
    const decisions = decisionLog(sup);
    await sup.start();
    await b.stop();
    await flush();
    expect(decisions).to.deep.equal(['B:restart#1+0']);
    expect([a.state, b.state]).to.deep.equal(['running', 'running']);
    expect([a.restartCount, b.restartCount]).to.deep.equal([1, 1]);
    await sup.stop();
  });
});

describe('RestForOneSupervisor', () => {
  it('restarts the crashed child and those added after it; the ones before keep running', async () => {
    const log: string[] = [];
    const sup = new RestForOneSupervisor({ name: 'sup' });
    const [a, b, c, d] = [probe(log, 'A'), probe(log, 'B'), probe(log, 'C'), probe(log, 'D')];
    sup.add(a, b, c, d);
    await sup.start();
    const mark = log.length;
    b.crash(new Error('boom'));
    await flush();
    expect(after(log, mark)).to.deep.equal([
      'B.onCrash',
      'B.onStop',
      'B.onShutdown',
      'D.onStop',
      'D.onShutdown',
      'C.onStop',
      'C.onShutdown',
      'B.onRestart',
      'B.onStart',
      'B.onStarted',
      'C.onRestart',
      'C.onStart',
      'C.onStarted',
      'D.onRestart',
      'D.onStart',
      'D.onStarted',
    ]);
    expect([a.restartCount, b.restartCount, c.restartCount, d.restartCount]).to.deep.equal([0, 1, 1, 1]);
    expect([a.state, b.state, c.state, d.state]).to.deep.equal(['running', 'running', 'running', 'running']);
    await sup.stop();
  });

  it('restarts only the last child when the last one crashes', async () => {
    const sup = new RestForOneSupervisor({ name: 'sup' });
    const [a, b] = [new Service({ name: 'A' }), new Service({ name: 'B' })];
    sup.add(a, b);
    await sup.start();
    b.crash(new Error('boom'));
    await flush();
    expect([a.restartCount, b.restartCount]).to.deep.equal([0, 1]);
    expect(b.state).to.equal('running');
    await sup.stop();
  });

  it('extends a pending restart to an earlier child that crashes in the same turn', async () => {
    const sup = new RestForOneSupervisor({ name: 'sup' });
    const [a, b, c] = ['A', 'B', 'C'].map((name) => new Service({ name }));
    sup.add(a!, b!, c!);
    const decisions = decisionLog(sup);
    await sup.start();
    c!.crash(new Error('late child'));
    b!.crash(new Error('middle child'));
    await flush();
    expect(decisions).to.deep.equal(['C:restart#1+0', 'B:restart#1+0']);
    expect([a!.restartCount, b!.restartCount, c!.restartCount]).to.deep.equal([0, 1, 1]);
    expect([a!.state, b!.state, c!.state]).to.deep.equal(['running', 'running', 'running']);
    await sup.stop();
  });
});

describe('ForfeitOneForOneSupervisor', () => {
  it('leaves the crashed child crashed; its siblings and the supervisor keep running', async () => {
    const sup = new ForfeitOneForOneSupervisor({ name: 'sup', maxRestarts: 0 });
    const [a, b] = [new Service({ name: 'A' }), new Service({ name: 'B' })];
    sup.add(a, b);
    const decisions = decisionLog(sup);
    await sup.start();
    a.crash(new Error('one'));
    await flush();
    await b.start();
    b.crash(new Error('two'));
    await flush();
    expect(decisions).to.deep.equal(['A:forfeit#1+0', 'B:forfeit#2+0']);
    expect([sup.state, a.state, b.state]).to.deep.equal(['running', 'crashed', 'crashed']);
    expect([a.restartCount, b.restartCount]).to.deep.equal([0, 0]);
    await sup.stop();
  });
});

describe('ForfeitOneForAllSupervisor', () => {
  it('leaves the crashed child crashed and stops the others in reverse order', async () => {
    const log: string[] = [];
    const sup = new ForfeitOneForAllSupervisor({ name: 'sup' });
    const [a, b, c] = [probe(log, 'A'), probe(log, 'B'), probe(log, 'C')];
    sup.add(a, b, c);
    const events = recordEvents(sup);
    const decisions = decisionLog(sup);
    await sup.start();
    const mark = log.length;
    b.crash(new Error('boom'));
    await flush();
    expect(decisions).to.deep.equal(['B:forfeit#1+0']);
    expect(after(log, mark)).to.deep.equal([
      'B.onCrash',
      'B.onStop',
      'B.onShutdown',
      'C.onStop',
      'C.onShutdown',
      'A.onStop',
      'A.onShutdown',
    ]);
    const reasons = events
      .ofType('state')
      .filter((e) => e.to === 'stopped')
      .map((e) => [e.service.name, e.reason]);
    expect(reasons).to.deep.equal([
      ['C', { type: 'supervisor', decision: 'forfeit' }],
      ['A', { type: 'supervisor', decision: 'forfeit' }],
    ]);
    expect([sup.state, a.state, b.state, c.state]).to.deep.equal([
      'running',
      'stopped',
      'crashed',
      'stopped',
    ]);
    events.stop();
    await sup.stop();
  });
});

describe('CrashingSupervisor', () => {
  it('crashes with the child’s error, which escalates to its parent', async () => {
    const root = new Service({ name: 'root' });
    const sup = root.addDependency(new CrashingSupervisor({ name: 'sup' }));
    const [a, b] = [new Service({ name: 'A' }), new Service({ name: 'B' })];
    sup.add(a, b);
    const events = recordEvents(root);
    await root.start();
    const error = new Error('fatal');
    a.crash(error);
    await root.waitUntilStopped();
    expect([root.state, sup.state, a.state, b.state]).to.deep.equal([
      'crashed',
      'crashed',
      'crashed',
      'stopped',
    ]);
    expect(sup.crashReason).to.equal(error);
    expect(root.crashReason).to.equal(error);
    const order = events.events
      .filter((e) => e.type === 'supervisor' || (e.type === 'state' && e.to === 'crashed'))
      .map((e) => (e.type === 'supervisor' ? `decision:${e.decision}` : `${e.service.path}:crashed`));
    expect(order).to.deep.equal([
      'root/sup/A:crashed',
      'decision:escalate',
      'root/sup:crashed',
      'root:crashed',
    ]);
    events.stop();
  });

  it('escalates whatever the restart type', async () => {
    const sup = new CrashingSupervisor({ name: 'sup', restart: 'temporary' });
    const child = new Service({ name: 'child' });
    sup.add(child);
    const decisions = decisionLog(sup);
    await sup.start();
    child.crash(new Error('fatal'));
    await sup.waitUntilStopped();
    expect(decisions).to.deep.equal(['child:escalate#1+0']);
    expect(sup.state).to.equal('crashed');
    await sup.stop();
  });
});
