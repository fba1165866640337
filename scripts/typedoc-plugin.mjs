// TypeDoc plugin of `npm run docs`: names each module of the API reference after the import that
// loads it ('rxmode/node' rather than 'node') and gives it a one-line summary, without a @module
// tag in the barrels under lib/.
import { Comment, Converter, ReflectionKind } from 'typedoc';

/** TypeDoc's default module name (the entry file's folder) → the import and what it holds. */
const MODULES = {
  index: [
    'rxmode',
    'Services, states, events, signals, supervisors, timers, durations, inspection and errors. Runs in browsers and in Node.',
  ],
  testing: [
    'rxmode/testing',
    'Virtual time and lifecycle recorders for testing services, with any test framework.',
  ],
  node: [
    'rxmode/node',
    'The Worker that runs a process, health probes, the dashboard, ThreadService, the BlockingDetector and the console logger. Node only.',
  ],
  otel: [
    'rxmode/otel',
    'OpenTelemetry spans and metrics for a service tree (optional peer `@opentelemetry/api`).',
  ],
  prometheus: [
    'rxmode/prometheus',
    'prom-client metrics for a service tree (optional peer `prom-client`). Node only.',
  ],
  angular: [
    'rxmode/angular',
    'Angular providers that start services with an injector and stop them with it (optional peer `@angular/core`).',
  ],
  'lease/postgres': [
    'rxmode/lease/postgres',
    'A LeaderService lease held as a PostgreSQL session advisory lock (optional peer `pg`). Node only.',
  ],
  'lease/redis': [
    'rxmode/lease/redis',
    'A LeaderService lease held as a Redis key with a ttl (optional peer `redis`). Node only.',
  ],
  'lease/etcd': [
    'rxmode/lease/etcd',
    'A LeaderService lease held as an etcd election key under a lease (optional peer `etcd3`). Node only.',
  ],
};

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const module of context.project.getChildrenByKind(ReflectionKind.Module)) {
      const entry = MODULES[module.name];
      if (!entry) throw new Error(`typedoc-plugin: no import name for the module "${module.name}"`);
      module.name = entry[0];
      module.comment ??= new Comment([{ kind: 'text', text: entry[1] }]);
    }
  });
}
