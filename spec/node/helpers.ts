/**
 * Helpers of the Node specs: run a fixture in a real child process (`node --import tsx`), wait for
 * its output, send it signals, and make real HTTP requests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';

/** A fixture running in a child process. */
export interface FixtureProcess {
  readonly child: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with the first match of `pattern` in the stream; rejects after `timeoutMs` or at exit. */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr', timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or the signal) once the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** Sends a signal. */
  kill(signal: NodeJS.Signals): void;
}

/** Path of a file under spec/node/fixtures/. */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
}

/** Starts `node --import tsx spec/node/fixtures/<name> ...args`. Kill it in `afterEach` with {@link stopAll}. */
export function runFixture(name: string, args: string[] = []): FixtureProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', fixturePath(name), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  running.add(child);
  const out = { stdout: '', stderr: '' };
  const listeners = new Set<() => void>();
  const notify = (): void => listeners.forEach((listener) => listener());
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => ((out.stdout += chunk), notify()));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => ((out.stderr += chunk), notify()));
  let ended = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>(
    (resolve) => {
      child.on('close', (code, signal) => {
        ended = true;
        running.delete(child);
        notify();
        resolve({ code, signal, at: Date.now() });
      });
    },
  );
  const waitFor = (pattern: RegExp, stream: 'stdout' | 'stderr' = 'stdout', timeoutMs = 8000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = (): void => {
        const match = out[stream].match(pattern);
        if (match) done(() => resolve(match));
        else if (ended)
          done(() =>
            reject(new Error(`exited before ${pattern} on ${stream}:\n${out.stdout}\n${out.stderr}`)),
          );
      };
      const timer = setTimeout(
        () =>
          done(() =>
            reject(new Error(`no ${pattern} on ${stream} in ${timeoutMs} ms:\n${out.stdout}\n${out.stderr}`)),
          ),
        timeoutMs,
      );
      const done = (fn: () => void): void => {
        clearTimeout(timer);
        listeners.delete(check);
        fn();
      };
      listeners.add(check);
      check();
    });
  return {
    child,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    waitFor,
    exited,
    kill: (signal) => void child.kill(signal),
  };
}

const running = new Set<ChildProcess>();

/** Kills every fixture process still running (for `afterEach`). */
export function stopAll(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/** A real HTTP GET (no keep-alive); resolves with the status and body. */
export function httpGet(
  port: number,
  path: string,
  method = 'GET',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** Occurrences of `needle` in `text`. */
export function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/** Resolves after `ms` of real time. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
