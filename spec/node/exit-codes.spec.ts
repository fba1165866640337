/**
 * Exit codes of the Worker.
 */
import { expect } from 'chai';
import { EXIT_FAILURE, EXIT_OK, signalExitCode } from '../../lib/node/index.js';

describe('signalExitCode()', () => {
  it('is 128 + the signal number, as shells report it', () => {
    expect(signalExitCode('SIGINT')).to.equal(130);
    expect(signalExitCode('SIGTERM')).to.equal(143);
    expect(signalExitCode('SIGHUP')).to.equal(129);
    expect([EXIT_OK, EXIT_FAILURE]).to.deep.equal([0, 1]);
  });

  it('refuses an unknown signal', () => {
    expect(() => signalExitCode('SIGNOPE' as NodeJS.Signals)).to.throw(TypeError, /SIGNOPE/);
  });
});
