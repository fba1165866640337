// Regression: a `hook` event reported `durationMs` as the absolute scheduler time (not the hook's
// duration) when the events$ subscriber arrived while the hook was already running, because the
// start time was only read when someone was listening at the hook's start.
import { expect } from 'chai';
import { probe, recordEvents, useFakeClock, waits } from '../support/lifecycle.js';

describe('regression: hook durationMs when subscribing while the hook runs', () => {
  const fake = useFakeClock();

  it('reports the time the hook took, not the time since the clock began', async () => {
    await fake.clock.tickAsync(1000);
    const svc = probe([], 'S', { hooks: { onStart: waits(250) } });
    const started = svc.start();
    await fake.clock.tickAsync(100);
    const rec = recordEvents(svc);
    await fake.clock.tickAsync(150);
    await started;
    const onStart = rec.ofType('hook').find((e) => e.hook === 'onStart');
    expect(onStart).to.deep.include({ at: 1250, durationMs: 250 });
    rec.stop();
    await svc.stop();
  });
});
