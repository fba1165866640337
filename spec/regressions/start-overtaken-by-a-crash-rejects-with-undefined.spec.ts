// Regression: a start() overtaken by crash(), followed by another start() and a stop(), rejected
// with `undefined` when somebody observed events$ (the second start had already cleared the crash
// reason), and resolved when nobody did. It must reject with that crash's error either way.
import { expect } from 'chai';
import { Service } from '../../lib/index.js';

class S extends Service {
  protected override onStart(): Promise<void> {
    return new Promise<void>((resolve) => setTimeout(resolve, 0));
  }
}

async function firstStartOutcome(observed: boolean): Promise<unknown> {
  const s = new S();
  if (observed) s.events$.subscribe();
  const first = s.start();
  const boom = new Error('boom');
  s.crash(boom);
  const again = s.start().catch((e: unknown) => e);
  const stopping = s.stop().catch((e: unknown) => e);
  const outcome = await first.then(
    () => 'resolved',
    (error: unknown) => error,
  );
  await Promise.all([again, stopping]);
  await s.stop();
  return outcome === boom ? 'boom' : outcome;
}

describe('regression: a start() overtaken by a crash rejects with that crash', () => {
  it('rejects with the crash error when events$ is observed', async () => {
    expect(await firstStartOutcome(true)).to.equal('boom');
  });

  it('rejects with the crash error when nobody observes the service', async () => {
    expect(await firstStartOutcome(false)).to.equal('boom');
  });
});
