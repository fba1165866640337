/**
 * Shared by the browser specs: launches a real headless Chromium through playwright-core (never a
 * browser downloaded at install or test time), serves pages from node:http on 127.0.0.1, and
 * bundles test pages with esbuild. Nothing is skipped: a Chromium that cannot start fails the specs.
 */
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium, used when `CHROMIUM_PATH` is not set and it is installed. */
const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/** Flags for a quiet headless Chromium that also runs as root (playwright adds a fresh profile dir). */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Flags of `@sparticuz/chromium` (tuned for AWS Lambda) left out: two switch off the same-origin
 * and mixed-content checks (the specs must see a page as a user's browser would), and
 * `--single-process` ends the whole browser when a spec closes its first page.
 */
const DROPPED_FLAGS = new Set([
  '--disable-web-security',
  '--allow-running-insecure-content',
  '--single-process',
]);

/** The Chromium a launch uses: its executable and the flags it needs besides {@link FLAGS}. */
export interface ChromiumBinary {
  /** `CHROMIUM_PATH`, `system` (`/usr/bin/chromium`) or `npm` (`@sparticuz/chromium`). */
  readonly source: 'CHROMIUM_PATH' | 'system' | 'npm';
  readonly executablePath: string;
  readonly args: readonly string[];
}

let npmBinary: Promise<ChromiumBinary> | undefined;

/**
 * Finds Chromium, in this order: `CHROMIUM_PATH`, Debian's `/usr/bin/chromium`, then the binary
 * inside the `@sparticuz/chromium` dev dependency (unpacked once per machine into the temp dir).
 */
export async function findChromium(): Promise<ChromiumBinary> {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) {
    if (!existsSync(configured)) {
      throw new Error(
        `CHROMIUM_PATH is ${configured}, which does not exist. Unset it to use the npm Chromium.`,
      );
    }
    return { source: 'CHROMIUM_PATH', executablePath: configured, args: [] };
  }
  if (existsSync(SYSTEM_CHROMIUM)) return { source: 'system', executablePath: SYSTEM_CHROMIUM, args: [] };
  npmBinary ??= (async () => {
    const { default: packaged } = await import('@sparticuz/chromium');
    return {
      source: 'npm' as const,
      executablePath: await packaged.executablePath(),
      args: packaged.args.filter((flag) => !DROPPED_FLAGS.has(flag)),
    };
  })();
  npmBinary.catch(() => (npmBinary = undefined));
  return npmBinary;
}

/** Launches headless Chromium (see {@link findChromium}); rejects when none can start. */
export async function launchChromium(): Promise<Browser> {
  const binary = await findChromium();
  return chromium.launch({
    executablePath: binary.executablePath,
    args: [...binary.args, ...FLAGS],
    headless: true,
  });
}

/** A running local HTTP server. */
export interface TestServer {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly origin: string;
  close(): Promise<void>;
}

/** Serves `handler` on 127.0.0.1 at a free port. */
export async function serve(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<TestServer> {
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => handler(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Bundles one TypeScript entry for the browser (ESM, everything inlined) and returns the code. */
export async function bundle(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}
