/**
 * The program that runs inside a ThreadService's thread: it loads the module, builds the service,
 * and relays start, stop, crash and method calls from the parent, and state, events, run$ values and
 * snapshots back. It imports nothing of rxmode's core, so any copy of rxmode can be hosted.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  decodeError,
  decodeReason,
  encodeError,
  encodeEvent,
  type FromThread,
  type ThreadData,
  type ToThread,
} from './protocol.js';

/** The parts of a Service the thread uses (duck-typed, so any copy of rxmode fits). */
interface HostedService {
  readonly name: string;
  readonly path: string;
  readonly state: string;
  readonly events$: { subscribe(next: (event: any) => void): unknown };
  readonly run$: { subscribe(next: (value: unknown) => void): unknown };
  start(): Promise<void>;
  stop(reason?: unknown): Promise<void>;
  crash(error: unknown): void;
  toJSON(): unknown;
}

// A real dynamic import even in the CommonJS build (tsc turns `import()` into `require()` there,
// which cannot load ES modules on Node 20). The body is a constant: nothing is evaluated from data.
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const dynamicImport = new Function('specifier', 'return import(specifier)') as (
  specifier: string,
) => Promise<Record<string, unknown>>;

function isService(value: unknown): value is HostedService {
  const v = value as Partial<HostedService> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.start === 'function' &&
    typeof v.stop === 'function' &&
    typeof v.crash === 'function' &&
    typeof v.events$?.subscribe === 'function'
  );
}

/** A class is constructed, another function is called as a factory, an instance is used as is. */
async function instantiate(target: unknown, data: ThreadData): Promise<HostedService> {
  let value: unknown = target;
  if (typeof target === 'function') {
    const isClass = /^class[\s{]/.test(Function.prototype.toString.call(target));
    value = isClass
      ? new (target as new (...args: unknown[]) => unknown)(...data.args)
      : await (target as (...args: unknown[]) => unknown)(...data.args);
  }
  if (!isService(value)) {
    throw new TypeError(
      `export ${JSON.stringify(data.exportName)} of ${data.module} is not a Service class, factory or instance`,
    );
  }
  return value;
}

/** Resolves once everything written to `stream` so far has been handed over. */
function flushed(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('the rxmode thread entry runs inside a ThreadService thread only');
  const data = workerData as ThreadData;
  const post = (message: FromThread): void => port.postMessage(message);

  let service: HostedService;
  try {
    const namespace = await dynamicImport(data.module);
    if (!(data.exportName in namespace)) {
      throw new TypeError(`${data.module} has no export ${JSON.stringify(data.exportName)}`);
    }
    service = await instantiate(namespace[data.exportName], data);
  } catch (error) {
    post({ type: 'load-failed', error: encodeError(error) });
    return;
  }

  // Errors of this thread that nothing handled crash the service (its teardown runs here) when it runs.
  const fatal = (error: unknown): void => {
    if (service.state === 'starting' || service.state === 'running') service.crash(error);
    else post({ type: 'fatal', error: encodeError(error) });
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);

  let snapshotQueued = false;
  const sendSnapshot = (): void => {
    snapshotQueued = false;
    post({ type: 'snapshot', snapshot: service.toJSON() as never });
  };
  service.events$.subscribe((event) => {
    post({ type: 'event', event: encodeEvent(event) });
    if (!snapshotQueued) {
      snapshotQueued = true;
      queueMicrotask(sendSnapshot);
    }
  });
  service.run$.subscribe((value) => {
    try {
      post({ type: 'value', value });
    } catch (error) {
      service.crash(
        new TypeError(`a run$ value of ${service.path} cannot be sent to the parent thread`, {
          cause: error,
        }),
      );
    }
  });

  const handle = async (message: ToThread): Promise<void> => {
    switch (message.type) {
      case 'start':
        try {
          await service.start();
          post({ type: 'started' });
        } catch (error) {
          post({ type: 'start-failed', error: encodeError(error) });
        }
        return;
      case 'stop':
        try {
          await service.stop(decodeReason(message.reason));
          post({ type: 'stopped' });
        } catch (error) {
          post({ type: 'stopped', error: encodeError(error) });
        }
        return;
      case 'crash':
        service.crash(decodeError(message.error));
        return;
      case 'ping':
        post({ type: 'pong', id: message.id });
        return;
      case 'exit':
        // Console output of a thread reaches the parent in acknowledged chunks: wait until all of
        // it was taken before ending the thread (terminate() would drop what is still on its way).
        await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
        process.exit(0); // ends this thread only
        return;
      case 'call': {
        let value: unknown;
        try {
          const method = (service as unknown as Record<string, unknown>)[message.method];
          if (typeof method !== 'function') {
            throw new TypeError(`${service.path} has no method ${JSON.stringify(message.method)}`);
          }
          value = await (method as (...args: unknown[]) => unknown).apply(service, message.args);
        } catch (error) {
          post({ type: 'result', id: message.id, ok: false, error: encodeError(error) });
          return;
        }
        try {
          post({ type: 'result', id: message.id, ok: true, value });
        } catch (error) {
          const reason = new TypeError(
            `the result of ${message.method}() cannot be sent to the parent thread`,
            {
              cause: error,
            },
          );
          post({ type: 'result', id: message.id, ok: false, error: encodeError(reason) });
        }
        return;
      }
    }
  };
  port.on('message', (message: ToThread) => void handle(message));
  post({ type: 'ready', name: service.name, path: service.path });
  sendSnapshot();
}

void main();
