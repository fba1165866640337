// Regression: start() never settled when a start hook hung and the start was ended another way
// (its start timeout fired, the service crashed, or a stop abandoned the hook at the stop deadline):
// the state moved on but start() kept awaiting the hung hook.
import { expect } from 'chai';
import { StartTimeoutError } from '../../lib/index.js';
import { flush, hangs, probe, track, useFakeClock } from '../support/lifecycle.js';

describe('regression: start() settles when a start hook hangs', () => {
  const fake = useFakeClock();

  it('rejects with StartTimeoutError when the start timeout fires', async () => {
    const svc = probe([], 'S', { startTimeout: 100, hooks: { onStart: hangs() } });
    const started = track(svc.start());
    await fake.clock.tickAsync(100);
    await flush();
    expect(started.error).to.be.instanceOf(StartTimeoutError);
  });

  it('rejects with the crash error when the service crashes', async () => {
    const svc = probe([], 'S', { hooks: { onStarted: hangs() } });
    const started = track(svc.start());
    await flush();
    const error = new Error('boom');
    svc.crash(error);
    await flush();
    expect(started.outcome).to.deep.equal({ ok: false, error });
  });

  it('resolves once a stop during start abandoned the hook at the stop deadline', async () => {
    const svc = probe([], 'S', { stopTimeout: 100, hooks: { onFirstStart: hangs() } });
    const started = track(svc.start());
    await flush();
    const stopped = track(svc.stop());
    await fake.clock.tickAsync(100);
    await flush();
    expect(stopped.settled).to.equal(true);
    expect(started.outcome).to.deep.equal({ ok: true, value: undefined });
    expect(svc.state).to.equal('stopped');
  });
});
