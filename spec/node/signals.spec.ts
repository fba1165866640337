/**
 * Process listeners with removers.
 */
import { expect } from 'chai';
import { listenProcess } from '../../lib/node/index.js';

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
