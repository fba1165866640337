/**
 * Where something was set up, for the leak check's messages: a stack captured when a timer or a
 * listener is registered, read only if it is reported, and the first frame in it that belongs to
 * neither rxmode nor rxjs (the user's code that asked for it).
 */

/** How many frames a capture keeps: rxmode and rxjs frames come first and are skipped. */
const FRAMES = 40;

/** The location part of one stack line: V8's `at fn (file:1:2)` / `at file:1:2`, or `fn@file:1:2`. */
function locationOf(line: string): string {
  const text = line.trim().replace(/^at\s+/, '');
  const inParens = /\(([^()]*)\)$/.exec(text);
  if (inParens) return inParens[1]!;
  const at = text.lastIndexOf('@');
  return at >= 0 ? text.slice(at + 1) : text;
}

/**
 * This module's file, as the frame of the function below shows it: `testing/call-site.*` from
 * source and in the per-file CommonJS build; in the bundled ESM build, the file holding its code
 * (`testing/index.js`, or a shared chunk `chunks/*.js`).
 */
const OWN_FILE = /(?:testing[\\/](?:call-site\.[cm]?[jt]s|index\.js)|chunks[\\/][^\\/]+\.js):\d+:\d+$/;

/** The folder rxmode's modules load from (`…/lib/` from source, `…/dist/esm/` built), if readable. */
const OWN_ROOT: string | undefined = (() => {
  const stack = new Error().stack ?? '';
  for (const line of stack.split('\n')) {
    const location = locationOf(line);
    const index = location.search(OWN_FILE);
    if (index > 0) return location.slice(0, index);
  }
  return undefined;
})();

const RXJS = /[\\/]node_modules[\\/]rxjs[\\/]/;
const HOST = /^(node:|internal[\\/]|native$|<anonymous>$)/;

/** `Error` with V8's frame limit (`types: []` here: the core does not see Node's declarations). */
const V8Error = Error as ErrorConstructor & { stackTraceLimit?: number };

/** A stack captured now, formatted only when read. */
export function captureStack(): Error {
  const limit = V8Error.stackTraceLimit;
  if (typeof limit !== 'number') return new Error('registered here');
  try {
    V8Error.stackTraceLimit = FRAMES;
    return new Error('registered here');
  } finally {
    V8Error.stackTraceLimit = limit;
  }
}

/**
 * The first frame of `captured` outside rxmode, rxjs and the host, as `fn (file:line:col)`; else the
 * first frame outside the leak check itself; else undefined (no stack in this runtime).
 */
export function callerOf(captured: Error): string | undefined {
  const lines = (captured.stack ?? '').split('\n').filter((line) => /:\d+(:\d+)?\)?$/.test(line.trim()));
  const isOwn = (location: string): boolean => OWN_ROOT !== undefined && location.startsWith(OWN_ROOT);
  const outside = lines.find((line) => {
    const location = locationOf(line);
    return !isOwn(location) && !RXJS.test(location) && !HOST.test(location);
  });
  const found = outside ?? lines.find((line) => !/[\\/]testing[\\/]/.test(locationOf(line)));
  return found?.trim().replace(/^at\s+/, '');
}
