/**
 * `POST /control/<id>/restart|stop|crash` on the probe server, served only with
 * `dashboard: { control: true }`: acts on the service of the tree with that id. It has no
 * authentication of its own, so it refuses requests that a browser sends from another origin.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../logger.js';
import type { Service } from '../../service.js';
import { sendJSON, sendText } from '../health-server.js';

/** What a control request can do to a service. */
export type ControlAction = 'restart' | 'stop' | 'crash';

const ACTIONS: readonly ControlAction[] = ['restart', 'stop', 'crash'];

/** The service of `root`'s tree with this id (the root included), or undefined. */
export function findService(root: Service<any>, id: string): Service<any> | undefined {
  if (root.id === id) return root;
  for (const child of root.children) {
    const found = findService(child, id);
    if (found) return found;
  }
  return undefined;
}

/** True when a browser sent the request from a page of another origin (a cross-site request forgery). */
function isCrossOrigin(request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return request.headers['sec-fetch-site'] === 'cross-site';
  try {
    return new URL(origin).host !== request.headers.host;
  } catch {
    return true; // `Origin: null` (a sandboxed frame, a file:// page) or garbage
  }
}

/**
 * The route handler of `/control` (a prefix route accepting POST only).
 *
 * @remarks
 * Answers 200 with `{ id, path, action, state }` once the action has begun (a restart or a stop
 * goes on after the response; its failure is logged on `logger`); 404 for an unknown id, an
 * unknown action or another path shape; 409 when the action cannot apply: the root itself (a
 * Worker stops by signal), a restart while the service is stopping, a crash unless it is starting
 * or running; 403 when the request comes from a page of another origin (`Origin` differs from
 * `Host`). A crash is an Error named `ControlCrash`, so it is told apart in logs and crash reasons.
 * @param root - the tree acted upon
 * @param logger - where each action and a failed restart or stop are logged
 * @example
 * ```ts
 * server.route('/control', controlHandler(worker, worker.logger), { methods: ['POST'], prefix: true });
 * ```
 */
export function controlHandler(root: Service<any>, logger: Logger) {
  return (request: IncomingMessage, response: ServerResponse, url: URL): void => {
    if (isCrossOrigin(request)) {
      sendText(response, 403, 'control requests from another origin are refused');
      return;
    }
    const parts = url.pathname.split('/');
    const action = parts[3] as ControlAction;
    if (parts.length !== 4 || parts[1] !== 'control' || !ACTIONS.includes(action)) {
      sendText(response, 404, 'not found: use POST /control/<id>/restart|stop|crash');
      return;
    }
    let id: string;
    try {
      id = decodeURIComponent(parts[2]!);
    } catch {
      sendText(response, 404, 'not found: the id is not valid URL encoding');
      return;
    }
    const service = findService(root, id);
    if (!service) {
      sendText(response, 404, `no service with id ${JSON.stringify(id)}`);
      return;
    }
    const refusal = refuse(root, service, action);
    if (refusal) {
      sendText(response, 409, refusal);
      return;
    }
    const fields = { service: service.path, action };
    logger.warn(fields, `control: ${action} requested over HTTP`);
    const failed = (error: unknown): void =>
      logger.error({ ...fields, err: error }, `control: ${action} failed`);
    if (action === 'restart') service.restart().catch(failed);
    else if (action === 'stop') service.stop().catch(failed);
    else {
      const error = new Error(`crashed on request (POST ${url.pathname})`);
      error.name = 'ControlCrash';
      service.crash(error);
    }
    sendJSON(response, 200, { id, path: service.path, action, state: service.state });
  };
}

/** Why `action` cannot apply to `service` now, or undefined when it can. */
function refuse(root: Service<any>, service: Service<any>, action: ControlAction): string | undefined {
  if (service === root) return `${root.path} is the root: it stops by signal, act on its services`;
  const state = service.state;
  if (action === 'restart' && state === 'stopping') return `cannot restart ${service.path}: it is stopping`;
  if (action === 'crash' && state !== 'starting' && state !== 'running') {
    return `cannot crash ${service.path}: it is ${state}`;
  }
  return undefined;
}
