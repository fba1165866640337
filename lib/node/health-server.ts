/**
 * The probe server of a Worker: a small `node:http` server with a route table. The Worker adds the
 * probes (`/livez`, `/readyz`, `/startupz`, `/state`); monitoring code adds its own paths the same way.
 * The readiness rule over a snapshot tree lives here too.
 */
import { isThenable } from '../internal/is-thenable.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { show } from '../internal/format.js';
import type { ServiceSnapshot } from '../snapshot.js';

/** Where the probe server listens. */
export interface HealthOptions {
  /** TCP port; 0 picks a free one (read it back from `address`). */
  port: number;
  /** Interface to bind. @defaultValue all interfaces (Node's default) */
  host?: string;
}

/** The address a server listens on. */
export interface HealthAddress {
  readonly host: string;
  readonly port: number;
}

/** Handles one request of a route; `url` is the parsed request URL. Errors answer 500. */
export type RouteHandler = (request: IncomingMessage, response: ServerResponse, url: URL) => unknown;

/** Options of {@link HealthServer.route}. */
export interface RouteOptions {
  /** HTTP methods served; others answer 405. @defaultValue ['GET', 'HEAD'] */
  methods?: readonly string[];
  /** Match every path below `path` too (`/control` serves `/control/1/stop`). @defaultValue false */
  prefix?: boolean;
}

interface Route {
  readonly path: string;
  readonly handler: RouteHandler;
  readonly methods: readonly string[];
  readonly prefix: boolean;
}

/** @internal Validates the `health` option. */
export function checkHealthOptions(value: unknown, option = 'health'): HealthOptions {
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(`${option} must be an object such as { port: 9000 }; received ${show(value)}`);
  }
  const { port, host } = value as Partial<HealthOptions>;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`${option}.port must be an integer from 0 to 65535; received ${show(port)}`);
  }
  if (host !== undefined && (typeof host !== 'string' || host === '')) {
    throw new TypeError(`${option}.host must be a non-empty string; received ${show(host)}`);
  }
  return host === undefined ? { port } : { port, host };
}

/**
 * An HTTP server for probes and diagnostics, with a route table that can grow.
 *
 * @remarks Routes match exact paths (or everything below a `prefix` route, longest first); an
 * unknown path answers 404, a known path with another method 405 with an `Allow` header, a handler
 * that throws 500. `close()` also ends kept-alive connections, so it finishes promptly.
 * @example
 * ```ts
 * const server = new HealthServer({ port: 0, host: '127.0.0.1' });
 * server.route('/ping', (_req, res) => sendText(res, 200, 'pong'));
 * const { port } = await server.listen();
 * await server.close();
 * ```
 */
export class HealthServer {
  readonly #options: HealthOptions;
  readonly #routes = new Map<string, Route>();
  #server: Server | undefined;
  #address: HealthAddress | undefined;

  /** @throws TypeError for an invalid port or host. */
  constructor(options: HealthOptions) {
    this.#options = checkHealthOptions(options, 'options');
  }

  /** The address once listening; undefined before `listen()` and after `close()`. */
  get address(): HealthAddress | undefined {
    return this.#address;
  }

  /** The paths served, in registration order. */
  get paths(): string[] {
    return [...this.#routes.keys()];
  }

  /**
   * Serves `path` with `handler`, replacing an earlier route of the same path; returns the function
   * that removes it.
   *
   * @throws TypeError when `path` does not start with `/` or `handler` is not a function.
   */
  route(path: string, handler: RouteHandler, options: RouteOptions = {}): () => void {
    if (typeof path !== 'string' || !path.startsWith('/')) {
      throw new TypeError(`path must be a string starting with '/'; received ${show(path)}`);
    }
    if (typeof handler !== 'function')
      throw new TypeError(`handler must be a function; received ${show(handler)}`);
    const route: Route = {
      path,
      handler,
      methods: (options.methods ?? ['GET', 'HEAD']).map((m) => m.toUpperCase()),
      prefix: options.prefix ?? false,
    };
    this.#routes.set(path, route);
    return () => {
      if (this.#routes.get(path) === route) this.#routes.delete(path);
    };
  }

  /**
   * Starts listening; resolves with the address (the real port when `port` was 0).
   *
   * @throws the listen error (such as `EADDRINUSE`).
   */
  listen(): Promise<HealthAddress> {
    if (this.#address) return Promise.resolve(this.#address);
    const server = createServer((request, response) => this.#handle(request, response));
    this.#server = server;
    return new Promise<HealthAddress>((resolve, reject) => {
      const onError = (error: Error): void => {
        this.#server = undefined;
        reject(error);
      };
      server.once('error', onError);
      server.listen(this.#options.port, this.#options.host, () => {
        server.removeListener('error', onError);
        const info = server.address() as AddressInfo;
        this.#address = { host: info.address, port: info.port };
        resolve(this.#address);
      });
    });
  }

  /** Stops listening and ends open connections; resolves once the server is closed. */
  close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.#address = undefined;
    if (!server) return Promise.resolve();
    return new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  #find(pathname: string): Route | undefined {
    const exact = this.#routes.get(pathname);
    if (exact) return exact;
    let best: Route | undefined;
    for (const route of this.#routes.values()) {
      if (!route.prefix || !pathname.startsWith(`${route.path.replace(/\/$/, '')}/`)) continue;
      if (!best || route.path.length > best.path.length) best = route;
    }
    return best;
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const route = this.#find(url.pathname);
    if (!route) {
      sendText(response, 404, 'not found');
      return;
    }
    const method = (request.method ?? 'GET').toUpperCase();
    if (!route.methods.includes(method)) {
      response.setHeader('Allow', route.methods.join(', '));
      sendText(response, 405, 'method not allowed');
      return;
    }
    const fail = (error: unknown): void => {
      if (!response.headersSent)
        sendText(response, 500, `error: ${error instanceof Error ? error.message : show(error)}`);
      else response.destroy();
    };
    try {
      const result = route.handler(request, response, url);
      if (isThenable(result)) {
        result.then(undefined, fail);
      }
    } catch (error) {
      fail(error);
    }
  }
}

/**
 * Answers with a plain-text body and a trailing newline (no body for HEAD).
 *
 * @example
 * ```ts
 * server.route('/ping', (_req, res) => sendText(res, 200, 'pong'));
 * ```
 */
export function sendText(response: ServerResponse, status: number, text: string): void {
  const body = `${text}\n`;
  response.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  response.end(response.req?.method === 'HEAD' ? undefined : body);
}

/**
 * Answers with a JSON body (no body for HEAD).
 *
 * @example
 * ```ts
 * server.route('/state', (_req, res) => sendJSON(res, 200, worker.toJSON()));
 * ```
 */
export function sendJSON(response: ServerResponse, status: number, value: unknown): void {
  const body = `${JSON.stringify(value, null, 2)}\n`;
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  response.end(response.req?.method === 'HEAD' ? undefined : body);
}

/**
 * @internal Why a tree is not ready, or undefined when it is: the root must be running, and so must
 * every essential service whose parent is running. A service with `essential: false`, or a child of
 * a `LeaderService` that follows (`leader: false` in its snapshot), does not count; while it runs,
 * its own essential children do.
 *
 * @returns `'<path> is <state>'` for the first service that is not ready, depth first.
 * @example
 * ```ts
 * notReadyReason(worker.toJSON()); // 'Worker/Db is stopped'
 * ```
 */
export function notReadyReason(root: ServiceSnapshot): string | undefined {
  if (root.state !== 'running') return `${root.path} is ${root.state}`;
  // a LeaderService that follows holds its children stopped: they do not count (section 13)
  const holds = root.leader === false;
  for (const child of root.children) {
    if (child.state === 'running') {
      const reason = notReadyReason(child);
      if (reason !== undefined) return reason;
    } else if (child.essential !== false && !holds) {
      return `${child.path} is ${child.state}`;
    }
  }
  return undefined;
}
