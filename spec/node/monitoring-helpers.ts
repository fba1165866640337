/**
 * Helpers of the monitoring specs (/metrics, /events, /dashboard, /control): a small tree run by a
 * real Worker on a free loopback port, a Server-Sent Events client over node:http that parses the
 * stream as a browser does, and POST requests.
 */
import { request, type IncomingHttpHeaders } from 'node:http';
import { OneForOneSupervisor, Service, silentLogger } from '../../lib/index.js';
import { Worker, type WorkerOptions } from '../../lib/node/index.js';

/** A service with a long `run()`: it shows `run` as pending work while it runs. */
export class Consumer extends Service {
  protected override run(): Promise<void> {
    return new Promise<void>((resolve) =>
      this.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
  }
}

/** The services of the tree used by the monitoring specs. */
export interface Tree {
  readonly worker: Worker;
  readonly database: Service;
  readonly api: Service;
  readonly cache: Service;
  readonly consumers: OneForOneSupervisor;
  readonly consumer: Consumer;
}

/**
 * Worker → Database, Api → Cache, Consumers (one-for-one, restart after `backoff`) → Consumer. No
 * BlockingDetector (it would add a service whose timing the specs do not control).
 */
export function buildTree(options: WorkerOptions = {}, backoff = '300ms'): Tree {
  const database = new Service({ name: 'Database' });
  const cache = new Service({ name: 'Cache' });
  const api = new Service({ name: 'Api' });
  api.addDependency(cache);
  const consumers = new OneForOneSupervisor({
    name: 'Consumers',
    maxRestarts: 20,
    over: '1m',
    backoff: { initial: backoff as `${number}ms`, max: backoff as `${number}ms` },
  });
  const consumer = new Consumer({ name: 'Consumer' });
  consumers.add(consumer);
  const worker = new Worker(database, api, consumers, {
    health: { port: 0, host: '127.0.0.1' },
    logger: silentLogger,
    blockingTimeout: 0,
    signals: [],
    ...options,
  });
  return { worker, database, api, cache, consumers, consumer };
}

/** A Worker running through `runUntilExit()`: its port, and the way to stop it and get its exit code. */
export interface RunningWorker {
  readonly port: number;
  readonly origin: string;
  stop(): Promise<number>;
}

/** Runs `worker` until `stop()`; resolves once the whole tree runs. */
export async function runWorker(worker: Worker): Promise<RunningWorker> {
  const exit = worker.runUntilExit();
  await Promise.race([
    worker.waitFor('running'),
    exit.then((code) => Promise.reject(new Error(`exit ${code}`))),
  ]);
  const port = worker.healthAddress!.port;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    stop: async () => {
      await worker.stop().catch(() => {});
      return exit;
    },
  };
}

/** A response read whole. */
export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Any request over a fresh connection; resolves with the whole response. */
export function httpRequest(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error(`${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** One Server-Sent Event as a browser's EventSource dispatches it. */
export interface SseMessage {
  event: string;
  data: string;
}

/** A connected `/events` stream. */
export interface SseStream {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Every message received so far. */
  readonly messages: SseMessage[];
  /** The `retry` field, when the server sent one. */
  readonly retry: number | undefined;
  /** Resolves with the first message (from the start of the stream) that `match` accepts. */
  waitFor(match: (message: SseMessage) => boolean, timeoutMs?: number): Promise<SseMessage>;
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  /** Closes the connection from the client side. */
  close(): void;
}

/**
 * Opens `path` as an event stream and parses it by the SSE rules: events end at a blank line,
 * `data` lines are joined with newlines, `event` defaults to `message`, lines starting with `:`
 * are comments, and a field's value loses one leading space.
 */
export function openEventStream(port: number, path = '/events'): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { Accept: 'text/event-stream' }, agent: false },
      (res) => {
        const messages: SseMessage[] = [];
        const waiters = new Set<() => void>();
        let retry: number | undefined;
        let buffer = '';
        let event = '';
        let data: string[] = [];
        const line = (text: string): void => {
          if (text === '') {
            if (data.length > 0) messages.push({ event: event || 'message', data: data.join('\n') });
            event = '';
            data = [];
            return;
          }
          if (text.startsWith(':')) return;
          const colon = text.indexOf(':');
          const field = colon < 0 ? text : text.slice(0, colon);
          const value = colon < 0 ? '' : text.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') event = value;
          else if (field === 'data') data.push(value);
          else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
        };
        res.setEncoding('utf8').on('data', (chunk: string) => {
          buffer += chunk;
          const lines = buffer.split(/\r\n|\r|\n/);
          buffer = lines.pop() ?? '';
          lines.forEach(line);
          waiters.forEach((check) => check());
        });
        const ended = new Promise<void>((done) => res.on('close', () => done()));
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          messages,
          get retry() {
            return retry;
          },
          ended,
          close: () => req.destroy(),
          waitFor: (match, timeoutMs = 3000) =>
            new Promise<SseMessage>((found, fail) => {
              const check = (): void => {
                const hit = messages.find(match);
                if (hit) finish(() => found(hit));
              };
              const timer = setTimeout(
                () =>
                  finish(() =>
                    fail(new Error(`no matching event in ${timeoutMs} ms; got ${JSON.stringify(messages)}`)),
                  ),
                timeoutMs,
              );
              const finish = (fn: () => void): void => {
                clearTimeout(timer);
                waiters.delete(check);
                fn();
              };
              waiters.add(check);
              check();
            }),
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Resolves once `read()` returns a value other than undefined, polling every 5 ms of real time. */
export async function until<T>(read: () => T | undefined, timeoutMs = 3000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`${what} not met in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
