/**
 * One turn of the host's task queue, taken from the globals when this module first loaded, so fake
 * timers installed later (sinon) neither stop nor drive it. Shared by the virtual clock and the
 * leak check.
 */

type Host = {
  setImmediate?: (callback: () => void) => unknown;
  MessageChannel?: typeof MessageChannel;
  setTimeout: (callback: () => void, ms: number) => unknown;
};

/**
 * One turn of the host's task queue (`setImmediate`, else a `MessageChannel`, else `setTimeout(0)`):
 * every microtask queued before it has run when it resolves.
 */
export const hostTurn: () => Promise<void> = (() => {
  const host = globalThis as unknown as Host;
  const immediate = host.setImmediate;
  if (typeof immediate === 'function') return () => new Promise<void>((resolve) => immediate(resolve));
  const Channel = host.MessageChannel;
  if (typeof Channel === 'function') {
    return () =>
      new Promise<void>((resolve) => {
        const channel = new Channel();
        channel.port1.onmessage = () => {
          channel.port1.close();
          resolve();
        };
        channel.port2.postMessage(undefined);
      });
  }
  const timeout = host.setTimeout;
  return () => new Promise<void>((resolve) => timeout(resolve, 0));
})();
