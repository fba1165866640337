/**
 * `/events` on the probe server: the lifecycle of a tree as Server-Sent Events. Each client gets
 * one `snapshot` event (`toJSON()`) when it connects, then one `lifecycle` event per `events$` item,
 * as JSON; every stream ends when the Worker stops, and a closed connection leaves no subscription.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Subscription } from 'rxjs';
import type { Service } from '../../service.js';
import { sendText } from '../health-server.js';
import { wireJSON } from './wire-json.js';

/** A client that lets this much output pile up unread is dropped (EventSource reconnects). */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/** How long a browser waits before reconnecting a dropped stream (the SSE `retry` field), in ms. */
const RETRY_MS = 2000;

interface Client {
  readonly response: ServerResponse;
  subscription: Subscription | undefined;
}

/**
 * The Server-Sent Events stream of a tree; open while the Worker runs.
 *
 * @remarks
 * Wire format (`text/event-stream`): a `retry: 2000` line, then `event: snapshot` with
 * `data: <toJSON()>`, then `event: lifecycle` with `data: <event>` for every item of the root's
 * `events$`, in order and without gaps (the snapshot is taken and the subscription made in the same
 * turn). Data is one line of JSON; errors inside events (`crash.error`, `hook.error`, a crash
 * reason) are objects with `name`, `message`, `stack`, `code`, their other fields and `cause`.
 * While closed (before the Worker runs, after it stopped) the route answers 503. Closing ends every
 * stream; a client that disconnects, or falls more than 1 MiB behind, is unsubscribed at once.
 * @example
 * ```ts
 * const stream = new EventStream(worker);
 * server.route('/events', stream.handle);
 * const close = stream.open(); // later: close()
 * ```
 */
export class EventStream {
  readonly #root: Service<any>;
  readonly #clients = new Set<Client>();
  #isOpen = false;

  constructor(root: Service<any>) {
    this.#root = root;
  }

  /** Streams currently connected. */
  get clientCount(): number {
    return this.#clients.size;
  }

  /** Accepts clients until the returned function is called, which ends every open stream. */
  open(): () => void {
    this.#isOpen = true;
    return () => {
      this.#isOpen = false;
      for (const client of [...this.#clients]) this.#drop(client, false);
    };
  }

  /** The route handler of `/events`. */
  readonly handle = (request: IncomingMessage, response: ServerResponse): void => {
    if (!this.#isOpen) {
      sendText(response, 503, 'the worker is not running: no events to stream');
      return;
    }
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no', // tell nginx-like proxies not to hold the stream back
      'X-Content-Type-Options': 'nosniff',
    });
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    request.socket.setNoDelay(true);
    const client: Client = { response, subscription: undefined };
    this.#clients.add(client);
    response.once('close', () => this.#drop(client, true));
    response.write(`retry: ${RETRY_MS}\n\n`);
    this.#send(client, 'snapshot', this.#root.toJSON());
    if (!this.#clients.has(client)) return;
    client.subscription = this.#root.events$.subscribe((event) => this.#send(client, 'lifecycle', event));
  };

  #send(client: Client, event: string, data: unknown): void {
    const { response } = client;
    if (response.writableEnded || response.destroyed) return;
    response.write(`event: ${event}\ndata: ${wireJSON(data)}\n\n`);
    if (response.writableLength > MAX_BUFFERED_BYTES) this.#drop(client, true);
  }

  #drop(client: Client, destroy: boolean): void {
    if (!this.#clients.delete(client)) return;
    client.subscription?.unsubscribe();
    client.subscription = undefined;
    if (destroy) client.response.destroy();
    else client.response.end();
  }
}
