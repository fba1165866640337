/**
 * The watchdog's view of the main thread's JavaScript stack while its loop is blocked: an inspector
 * session from this thread to the main one (`Session#connectToMainThread`), the debugger enabled
 * only while a stall is suspected, a pause, the call frames of the `Debugger.paused` notification,
 * and the session closed again (which resumes the main thread). The main thread answers inspector
 * messages between two JavaScript statements even while it spins, so this works during a
 * synchronous stall; in a long native call (a synchronous read, a compression) it does not answer.
 * Positions are mapped through the scripts' source maps (inline ones, as tsx writes, or `.map`
 * files next to them) when they have one.
 */
import { readFileSync } from 'node:fs';
import type { Session } from 'node:inspector';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Frames kept in a captured stack (the innermost ones). */
const MAX_FRAMES = 40;

/** @internal A call frame of a `Debugger.paused` notification. */
export interface CallFrame {
  readonly functionName: string;
  readonly url?: string;
  readonly location: {
    readonly scriptId: string;
    readonly lineNumber: number;
    readonly columnNumber?: number;
  };
}

type Inspector = typeof import('node:inspector');

function post(session: Session, method: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    try {
      session.post(method, (error, result) => (error ? reject(error) : resolve(result)));
    } catch (error) {
      reject(error); // not connected (any more)
    }
  });
}

/** @internal A script a thread loaded, as `Debugger.scriptParsed` describes it. */
export interface Script {
  readonly url: string;
  readonly sourceMapURL: string;
  /** Its parsed source map: null when it has none or it cannot be read. */
  map?: SourceMap | null;
}

function readSourceMap(script: Script): SourceMap | null {
  const ref = script.sourceMapURL;
  if (!ref) return null;
  try {
    let text: string;
    if (ref.startsWith('data:')) {
      const comma = ref.indexOf(',');
      const body = ref.slice(comma + 1);
      text = ref.slice(0, comma).endsWith(';base64')
        ? Buffer.from(body, 'base64').toString('utf8')
        : decodeURIComponent(body);
    } else {
      const location = new URL(ref, script.url);
      if (location.protocol !== 'file:') return null;
      text = readFileSync(fileURLToPath(location), 'utf8');
    }
    return new SourceMap(JSON.parse(text) as SourceMapPayload);
  } catch {
    return null;
  }
}

/** `url:line:column` of a frame (1-based), through the script's source map when it has one. */
function placeOf(frame: CallFrame, scripts: ReadonlyMap<string, Script>): string {
  const { scriptId, lineNumber, columnNumber = 0 } = frame.location;
  const script = scripts.get(scriptId);
  const url = frame.url || script?.url || `<script ${scriptId}>`;
  if (script) {
    if (script.map === undefined) script.map = readSourceMap(script);
    const entry = script.map?.findEntry(lineNumber, columnNumber);
    if (entry && 'originalSource' in entry && entry.originalSource) {
      let source = entry.originalSource;
      try {
        source = new URL(
          source,
          script.sourceMapURL.startsWith('data:') ? url : new URL(script.sourceMapURL, url),
        ).href;
      } catch {
        // an unusual source name: shown as the map gives it
      }
      return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
    }
  }
  return `${url}:${lineNumber + 1}:${columnNumber + 1}`;
}

function frameLine(frame: CallFrame, scripts: ReadonlyMap<string, Script>): string {
  const where = placeOf(frame, scripts);
  return frame.functionName ? `    at ${frame.functionName} (${where})` : `    at ${where}`;
}

/** @internal Frames of Node's own loop machinery: a pause that lands only in them came between two tasks. */
export const isInternal = (line: string): boolean =>
  /\((node:|<script )/.test(line) || /^ {4}at node:/.test(line);

/** @internal Files a `Debugger.scriptParsed` notification's script in `scripts`, by id. */
export function noteScript(
  scripts: Map<string, Script>,
  params: { scriptId: string; url: string; sourceMapURL?: string },
): void {
  const { scriptId, url, sourceMapURL = '' } = params;
  if (url) scripts.set(scriptId, { url, sourceMapURL });
}

/**
 * @internal The call frames of a pause as `    at fn (url:line:column)` lines, innermost first,
 * mapped through the scripts' source maps.
 */
export function frameLines(frames: readonly CallFrame[], scripts: ReadonlyMap<string, Script>): string[] {
  return frames.map((frame) => frameLine(frame, scripts));
}

/** @internal Frame lines as one stack: the innermost {@link MAX_FRAMES}, then how many were left out. */
export function joinFrames(lines: readonly string[]): string {
  const kept = lines.slice(0, MAX_FRAMES);
  if (lines.length > MAX_FRAMES) kept.push(`    … ${lines.length - MAX_FRAMES} more frames`);
  return kept.join('\n');
}

/** One debugger session to the main thread, opened when a stall is suspected and closed after. */
interface Armed {
  readonly session: Session;
  readonly scripts: Map<string, Script>;
  /** Settles once the debugger is enabled; with the error when it could not be. */
  readonly enabled: Promise<void>;
}

/** @internal Captures the main thread's stack from the watchdog thread. */
export class StackCapture {
  readonly #inspector: Inspector;
  #armed: Armed | undefined;

  private constructor(inspector: Inspector) {
    this.#inspector = inspector;
  }

  /** A capture, or why there can be none (a Node built without the inspector). */
  static async create(): Promise<StackCapture | string> {
    try {
      return new StackCapture(await import('node:inspector'));
    } catch (error) {
      return `this Node has no inspector (${(error as Error).message})`;
    }
  }

  /**
   * Connects to the main thread and enables its debugger, ahead of a pause. Enabling makes the main
   * thread list every script it loaded (about 0.2 ms each), which it does at its next statement,
   * so a watchdog arms when a stall is suspected rather than when it is sure. Idempotent.
   * @returns why it cannot, or undefined
   */
  arm(): string | undefined {
    if (this.#armed) return undefined;
    const session = new this.#inspector.Session();
    try {
      session.connectToMainThread();
    } catch (error) {
      return `no inspector session to the main thread (${(error as Error).message})`;
    }
    const scripts = new Map<string, Script>();
    session.on(
      'Debugger.scriptParsed',
      (message: { params: { scriptId: string; url: string; sourceMapURL?: string } }) =>
        noteScript(scripts, message.params),
    );
    const enabled = post(session, 'Debugger.enable').then(() => undefined);
    enabled.catch(() => {}); // read by capture(); a disarm before then is no failure
    this.#armed = { session, scripts, enabled };
    return undefined;
  }

  /** Closes the session: the debugger is disabled and a pause in force or pending is let go. */
  disarm(): void {
    const armed = this.#armed;
    this.#armed = undefined;
    armed?.session.disconnect();
  }

  /**
   * Pauses the main thread and reads its stack, then disarms (which resumes it). `onPaused` runs
   * while the main thread is still paused, so what it files is there before the main thread can go
   * on; it gets the frames as `    at fn (url:line:column)` lines, innermost first, or it is not
   * called. Resolves with the reason there is no stack, or undefined.
   *
   * @param timeoutMs - how long to wait for the pause
   * @param isStillBlocked - checked once paused: false when the loop turned meanwhile (the pause
   * landed in other code: its stack is dropped)
   */
  async capture(
    timeoutMs: number,
    isStillBlocked: () => boolean,
    onPaused: (stack: string) => void,
  ): Promise<string | undefined> {
    const failure = this.arm();
    const armed = this.#armed;
    if (failure !== undefined || !armed) return failure;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<string | undefined>((resolve) => {
        armed.session.once('Debugger.paused', (message: { params: { callFrames: CallFrame[] } }) => {
          const all = frameLines(message.params.callFrames, armed.scripts);
          if (!isStillBlocked() || all.every(isInternal)) {
            resolve('the loop turned before the main thread paused');
            return;
          }
          onPaused(joinFrames(all));
          resolve(undefined);
        });
        timer = setTimeout(
          () => resolve(`the main thread did not pause within ${timeoutMs} ms (in native code?)`),
          timeoutMs,
        );
        armed.enabled
          .then(() => post(armed.session, 'Debugger.pause'))
          .catch((error: unknown) => resolve(`the inspector refused (${(error as Error).message})`));
      });
    } finally {
      clearTimeout(timer);
      this.disarm();
    }
  }
}
