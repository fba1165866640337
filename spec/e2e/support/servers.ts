/**
 * Starting real server programs for the end-to-end specs (`npm run test:e2e`): a binary from a
 * Debian package, on 127.0.0.1 at a free port, with its data in a fresh temp directory, stopped and
 * cleaned up by `stop()`. A missing binary is an error naming the `apt-get install` line: never a skip.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The command that installs the Debian package `pkg` as `.ci/run` does. */
export function aptInstallLine(pkg: string): string {
  return `apt-get install -y --no-install-recommends ${pkg}`;
}

/**
 * The path of a server binary: the environment variable `envVar` when set, else `defaultPath`.
 * Throws, naming the `apt-get install` line of `pkg`, when there is no executable file there.
 */
export function requireBinary(options: { defaultPath: string; envVar: string; pkg: string }): string {
  const path = process.env[options.envVar] || options.defaultPath;
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(
      `${path} not found: this end-to-end spec needs Debian's ${options.pkg} and never skips. Install it with\n` +
        `  ${aptInstallLine(options.pkg)}\n` +
        `or point ${options.envVar} at the binary.`,
    );
  }
  return path;
}

/** A TCP port that was free on 127.0.0.1 a moment ago (for servers that cannot report their own). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** What `startServer` is given for each attempt. */
export interface ServerContext {
  /** The port picked for this attempt. */
  readonly port: number;
  /** A temp directory owned by this server, removed by `stop()`. */
  readonly dir: string;
}

/** How to run one server program. */
export interface ServerOptions {
  /** Shown in errors, and used in the temp directory's name. */
  readonly name: string;
  /** The executable (see {@link requireBinary}). */
  readonly command: string;
  /** Its arguments for the given port and directory. */
  readonly args: (context: ServerContext) => readonly string[];
  /** Runs before the program starts: write a config file into `dir`, change owners… */
  readonly prepare?: (context: ServerContext) => Promise<void>;
  /** Resolves true once the server answers; polled every 100 ms. */
  readonly ready: (context: ServerContext) => Promise<boolean>;
  /** How long `ready` may take, in ms. @defaultValue 20 000 */
  readonly readyTimeout?: number;
  /** Runs instead of a signal to stop the server (`pg_ctl stop`, …); SIGTERM when absent. */
  readonly shutdown?: (server: RunningServer) => Promise<void>;
  /** Extra options for `spawn` (an `env`, a `uid`…). */
  readonly spawnOptions?: SpawnOptions;
}

/** A server started by {@link startServer}. */
export interface RunningServer extends ServerContext {
  /** `127.0.0.1:<port>`. */
  readonly address: string;
  readonly process: ChildProcess;
  /** Everything the program wrote to stdout and stderr so far. */
  output(): string;
  /** Stops the program (SIGKILL after 10 s) and removes its directory; safe to call twice. */
  stop(): Promise<void>;
}

/** Programs still running: killed when the test process exits, whatever happened to the specs. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Programs that could not be spawned at all (they never emit `exit`). */
const unspawned = new WeakSet<ChildProcess>();

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null || unspawned.has(child);
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts a server program on a free loopback port with its own temp directory and resolves once
 * `ready` says it answers. A port taken between the pick and the bind is retried with a new port
 * (three attempts); any other early exit rejects with the program's output.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => running.forEach((child) => child.kill('SIGKILL')));
  }
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), `rxmode-e2e-${options.name}-`));
    const context: ServerContext = { port: await freePort(), dir };
    let server: RunningServer | undefined;
    try {
      await options.prepare?.(context);
      server = launch(options, context);
      await waitUntilReady(options, server);
      return server;
    } catch (error) {
      lastError = error;
      if (server) await server.stop();
      else await rm(dir, { recursive: true, force: true });
      if (!/address already in use/i.test(server?.output() ?? '')) throw error;
    }
  }
  throw lastError;
}

function launch(options: ServerOptions, context: ServerContext): RunningServer {
  const child = spawn(options.command, options.args(context), {
    ...options.spawnOptions,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  child.once('error', (error) => {
    unspawned.add(child);
    output += `spawn failed: ${error.message}\n`;
  });
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let stopping: Promise<void> | undefined;
  const server: RunningServer = {
    ...context,
    address: `127.0.0.1:${context.port}`,
    process: child,
    output: () => output,
    stop: () =>
      (stopping ??= (async () => {
        if (!exited(child)) {
          if (options.shutdown) await options.shutdown(server).catch(() => child.kill('SIGTERM'));
          else child.kill('SIGTERM');
          if (!(await waitForExit(child, 10_000))) {
            child.kill('SIGKILL');
            await waitForExit(child, 5_000);
          }
        }
        await rm(context.dir, { recursive: true, force: true });
      })()),
  };
  return server;
}

async function waitUntilReady(options: ServerOptions, server: RunningServer): Promise<void> {
  const timeout = options.readyTimeout ?? 20_000;
  const deadline = Date.now() + timeout;
  for (;;) {
    if (exited(server.process)) {
      throw new Error(`${options.name} exited before it was ready:\n${server.output()}`);
    }
    if (await options.ready(server).catch(() => false)) return;
    if (Date.now() > deadline) {
      throw new Error(`${options.name} was not ready after ${timeout} ms:\n${server.output()}`);
    }
    await sleep(100);
  }
}
