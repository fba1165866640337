/**
 * A small app as a service tree: a database and a cache start first, the HTTP-like service that
 * depends on them starts last and stops first. Then one service crashes on purpose and the crash
 * escalates to the root, which tears the whole tree down in reverse order.
 *
 *   npm run demo:tree        (or: npx tsx demos/service-tree.ts)
 *
 * The tree (`App`) is exported for spec/demos/service-tree.spec.ts; the script part runs only when
 * this file is the program.
 */
import { pathToFileURL } from 'node:url';
import { Service, humanizeDuration, type LifecycleEvent } from '../lib/index.js';

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

class Database extends Service {
  connections = 0;
  protected override async onStart(): Promise<void> {
    await pause(50); // connect
    this.connections = 4;
  }
  protected override async onShutdown(): Promise<void> {
    await pause(20); // close the pool
    this.connections = 0;
  }
}

class Cache extends Service {
  hits = 0;
  constructor() {
    super({ name: 'Cache' });
    this.addTimer('100ms', () => void this.hits++, { name: 'warm' });
  }
}

class HttpServer extends Service<string> {
  constructor(
    readonly db: Database,
    readonly cache: Cache,
  ) {
    super({ name: 'Http' });
  }
  protected override async *run(): AsyncGenerator<string> {
    for (let request = 1; !this.shouldStop; request++) {
      yield `GET /items/${request} → 200 (db pool ${this.db.connections}, cache hits ${this.cache.hits})`;
      if (!(await this.sleep('150ms'))) return;
    }
  }
}

/** The app: a database and a cache, then the HTTP-like service that uses them. */
export class App extends Service {
  readonly db = this.addDependency(new Database());
  readonly cache = this.addDependency(new Cache());
  readonly http = this.addDependency(new HttpServer(this.db, this.cache));
  constructor() {
    super({ name: 'App', stopTimeout: '5s' });
  }
}

function describeEvent(event: LifecycleEvent): string | undefined {
  const path = event.service.path.padEnd(14);
  switch (event.type) {
    case 'state':
      return `${path} ${event.from} → ${event.to}${event.reason ? `  (${event.reason.type})` : ''}`;
    case 'hook':
      return `${path}   ${event.hook} ${humanizeDuration(event.durationMs)}${event.error ? ' FAILED' : ''}`;
    case 'crash':
      return `${path} crashed: ${event.error instanceof Error ? event.error.message : String(event.error)}`;
    default:
      return undefined;
  }
}

async function main(): Promise<void> {
  const app = new App();
  app.events$.subscribe((event) => {
    const line = describeEvent(event);
    if (line) console.log(line);
  });
  app.http.run$.subscribe((line) => console.log(`               ${line}`));

  console.log('— starting: dependencies first —');
  await app.start();
  await pause(500);

  console.log('\n— a clean stop: reverse order —');
  await app.stop();

  console.log('\n— restart, then the HTTP service crashes; the crash escalates —');
  await app.start();
  await pause(200);
  app.http.crash(new Error('socket closed unexpectedly'));
  await app.waitUntilStopped();
  console.log(`\nApp is ${app.state}; crash reason: ${(app.crashReason as Error).message}`);
  console.log(JSON.stringify(app.toJSON().children.map((c) => `${c.path}: ${c.state}`)));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
