/**
 * Process listeners with removers, and the window within which a repeated signal is the same request.
 */
import { expect } from 'chai';
import { listenProcess } from '../../lib/node/index.js';
import { SIGNAL_REPEAT_WINDOW_MS, SignalRepeats } from '../../lib/node/signals.js';

describe('listenProcess()', () => {
  it('adds a process listener and returns the function that removes it, once', () => {
    const before = process.listenerCount('SIGHUP');
    const seen: string[] = [];
    const off = listenProcess('SIGHUP', (signal: string) => seen.push(signal));
    expect(process.listenerCount('SIGHUP')).to.equal(before + 1);
    process.emit('SIGHUP', 'SIGHUP');
    off();
    off();
    expect(process.listenerCount('SIGHUP')).to.equal(before);
    expect(seen).to.deep.equal(['SIGHUP']);
  });
});

describe('SignalRepeats', () => {
  it('takes a repeat of the same signal within 100 ms of the first as the same request', () => {
    expect(SIGNAL_REPEAT_WINDOW_MS).to.equal(100);
    const repeats = new SignalRepeats();
    expect(repeats.isRepeat('SIGINT', 1000)).to.equal(false); // the request
    expect(repeats.isRepeat('SIGINT', 1030)).to.equal(true); // relayed by tsx
    expect(repeats.isRepeat('SIGINT', 1099)).to.equal(true); // measured from the first, not the last
    expect(repeats.isRepeat('SIGINT', 1100)).to.equal(false); // a second request: forces the exit
    expect(repeats.isRepeat('SIGINT', 1150)).to.equal(true); // ...and its own relays
  });

  it('keeps each signal apart: another signal within the window is a request of its own', () => {
    const repeats = new SignalRepeats();
    expect(repeats.isRepeat('SIGTERM', 0)).to.equal(false);
    expect(repeats.isRepeat('SIGINT', 10)).to.equal(false);
    expect(repeats.isRepeat('SIGTERM', 20)).to.equal(true);
  });

  it('takes another window, 0 counting every signal, and refuses a bad one', () => {
    const every = new SignalRepeats(0);
    expect([every.isRepeat('SIGINT', 5), every.isRepeat('SIGINT', 5)]).to.deep.equal([false, false]);
    const slow = new SignalRepeats(1000);
    expect([slow.isRepeat('SIGINT', 0), slow.isRepeat('SIGINT', 500)]).to.deep.equal([false, true]);
    for (const bad of [-1, Number.NaN, '100ms'])
      expect(() => new SignalRepeats(bad as number)).to.throw(TypeError, /windowMs .*received/);
  });
});
