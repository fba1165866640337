/**
 * The published package as a user gets it: build (in a staged copy), `npm pack`, install the
 * tarball into a scratch project (offline; rxjs and croner linked from our node_modules), then
 * `import` and `require` every entry point, run a service tree through them, and type-check an ESM
 * and a CommonJS consumer; publint and are-the-types-wrong lint the tarball. A new entry point is one
 * more line in ENTRIES.
 */
import { expect } from 'chai';
import { build } from 'esbuild';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  exports: Record<string, unknown>;
};
const requireHere = createRequire(join(root, 'package.json'));
const tscBin = requireHere.resolve('typescript/bin/tsc');
const attwBin = join(dirname(requireHere.resolve('@arethetypeswrong/cli/package.json')), 'dist/index.js');

/**
 * The entry points users import: the dist/<esm|cjs>/ folder of each, one export it must have, and
 * whether it must bundle for the browser (no Node built-ins).
 */
const ENTRIES: readonly { id: string; dir: string; probe: string; browser: boolean }[] = [
  { id: 'rxmode', dir: '', probe: 'Service', browser: true },
  { id: 'rxmode/testing', dir: 'testing/', probe: 'createVirtualClock', browser: true },
  { id: 'rxmode/node', dir: 'node/', probe: 'Worker', browser: false },
  { id: 'rxmode/otel', dir: 'otel/', probe: 'instrument', browser: true },
  { id: 'rxmode/prometheus', dir: 'prometheus/', probe: 'collectMetrics', browser: false },
  { id: 'rxmode/angular', dir: 'angular/', probe: 'provideServices', browser: true },
  { id: 'rxmode/lease/postgres', dir: 'lease/postgres/', probe: 'postgresLease', browser: false },
  { id: 'rxmode/lease/redis', dir: 'lease/redis/', probe: 'redisLease', browser: false },
  { id: 'rxmode/lease/etcd', dir: 'lease/etcd/', probe: 'etcdLease', browser: false },
];

/**
 * Copies what the build and `npm pack` read into `dir`, with node_modules linked, so the build never
 * touches this tree's dist/ (other test runs may be using it at the same time).
 */
async function stage(dir: string): Promise<void> {
  const names = (await readdir(root)).filter(
    (name) =>
      /^(package\.json|README\.md|CHANGELOG\.md|LICENSE.*|tsconfig.*\.json)$/.test(name) ||
      name === 'lib' ||
      name === 'scripts',
  );
  await mkdir(dir);
  await Promise.all(names.map((name) => cp(join(root, name), join(dir, name), { recursive: true })));
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
}

/** npm variables of an enclosing `npm test` that would point a nested npm at this project. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_(lifecycle_|package_|config_local_prefix$|config_call$)/i.test(key) || key === 'INIT_CWD')
      continue;
    env[key] = value;
  }
  return env;
}

/** Runs a command; resolves with its stdout, rejects with its output when it exits non-zero. */
function run(file: string, args: string[], cwd: string): Promise<string> {
  return new Promise((done, fail) => {
    execFile(file, args, { cwd, env: cleanEnv(), maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) fail(new Error(`${file} ${args.join(' ')} failed in ${cwd}:\n${stdout}\n${stderr}`));
      else done(stdout);
    });
  });
}

/** Runs a command that may exit non-zero; resolves with its exit code and stdout. */
function runStatus(file: string, args: string[], cwd: string): Promise<{ code: number; stdout: string }> {
  return new Promise((done) => {
    execFile(file, args, { cwd, env: cleanEnv(), maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      done({ code, stdout: stdout || stderr });
    });
  });
}

/** The part of `attw --format json` the spec reads. */
interface AttwReport {
  analysis: {
    entrypoints: Record<string, { resolutions: Record<string, unknown> }>;
    problems: { kind: string; entrypoint?: string; resolutionKind?: string }[];
  };
}

/**
 * The consumer program, the same for both module systems: it loads each entry point, runs a small
 * service tree in virtual time, tries the blocked paths and prints what it saw as JSON.
 */
const CHECKS = `
const report = { entries: {} };
for (const id of ENTRY_IDS) {
  const module = await load(id);
  report.entries[id] = { resolved: String(resolveId(id)), exports: Object.keys(module) };
}
const core = await load('rxmode');
const testing = await load('rxmode/testing');
report.parseDuration = core.parseDuration('1s');

const plain = new core.Service({ name: 'plain' });
await plain.start();
const plainRunning = plain.state;
await plain.stop();
report.plain = [plainRunning, plain.state];

const clock = testing.createVirtualClock();
class Db extends core.Service {
  async onStart() { await this.sleep(100); }
  // sleep() returns at once while stopping: wait on the scheduler instead
  async onShutdown() { await new Promise((resolve) => this.scheduler.schedule(resolve, 50)); }
}
class App extends core.Service {
  constructor() {
    super({ name: 'app', scheduler: clock.scheduler });
    this.ticks = 0;
    this.addDependency(new Db({ name: 'db' }));
    this.addTimer('1s', () => { this.ticks++; });
  }
}
const app = new App();
const rec = testing.recordLifecycle(app);
await clock.until(app.start());
await clock.advance('3s');
await clock.until(app.stop());
rec.stop();
report.tree = { state: app.state, ticks: app.ticks, now: clock.now(), app: rec.marbles(), db: rec.marbles('app/db'), hooks: rec.hooks };

report.blocked = {};
for (const id of ['rxmode/internal/work.js', 'rxmode/internal/work', 'rxmode/dist/esm/index.js', 'rxmode/dist/cjs/index.js']) {
  try { await load(id); report.blocked[id] = 'loaded'; } catch (error) { report.blocked[id] = error.code; }
}
report.packageJson = requireFromHere('rxmode/package.json').version;

const nodeApi = await load('rxmode/node');
const probe = new nodeApi.Worker(new core.Service({ name: 'App' }), {
  health: { port: 0, host: '127.0.0.1' }, logger: core.silentLogger, blockingTimeout: 0, signals: [],
});
const probeExit = probe.runUntilExit();
await probe.waitFor('running');
const base = 'http://127.0.0.1:' + probe.healthAddress.port;
const script = await fetch(base + '/dashboard/app.js');
report.dashboard = { script: script.status, long: (await script.text()).length > 1000, metrics: (await fetch(base + '/metrics')).status };
await probe.stop();
await probeExit;
process.stdout.write(JSON.stringify(report));
`;

const ENTRY_LIST = `const ENTRY_IDS = ${JSON.stringify(ENTRIES.map((e) => e.id))};`;

const ESM_CONSUMER = `import { createRequire } from 'node:module';
${ENTRY_LIST}
const load = (id) => import(id);
const resolveId = (id) => import.meta.resolve(id);
const requireFromHere = createRequire(import.meta.url);
${CHECKS}`;

const CJS_CONSUMER = `'use strict';
${ENTRY_LIST}
const load = async (id) => require(id);
const resolveId = (id) => require.resolve(id);
const requireFromHere = require;
(async () => {
${CHECKS}
})().catch((error) => { console.error(error); process.exitCode = 1; });`;

/** Type-checked against the installed package: the `import` conditions (.mts) and `require` (.cts). */
const TYPED_CONSUMER = `// @ts-expect-error rxmode/internal/* is not part of the package
import type {} from 'rxmode/internal/work.js';
import { Service, parseDuration, type ServiceState } from 'rxmode';
import { createVirtualClock, recordLifecycle, type LifecycleRecorder } from 'rxmode/testing';

const clock = createVirtualClock();
const service = new Service({ scheduler: clock.scheduler });
const recorder: LifecycleRecorder = recordLifecycle(service);
const ms: number = parseDuration('1s');
const state: ServiceState = service.state;
const marbles: string = recorder.marbles();
// @ts-expect-error parseDuration takes a Duration, not a boolean
parseDuration(true);
export { ms, state, marbles };
`;

const TYPED_TSCONFIG = {
  compilerOptions: {
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    lib: ['es2022', 'esnext.disposable', 'dom'],
    types: [],
    strict: true,
    noEmit: true,
    skipLibCheck: false,
  },
  files: ['typed.mts', 'typed.cts'],
};

interface Report {
  entries: Record<string, { resolved: string; exports: string[] }>;
  parseDuration: number;
  plain: string[];
  tree: { state: string; ticks: number; now: number; app: string; db: string; hooks: string[] };
  blocked: Record<string, string>;
  packageJson: string;
  dashboard: { script: number; long: boolean; metrics: number };
}

describe('package', function () {
  this.timeout(60_000);

  let work = '';
  let consumer = '';
  let tarball = '';
  let tarballFiles: string[] = [];
  const reports: { esm?: Report; cjs?: Report } = {};
  let typeCheck: Promise<string> | undefined;

  before(async function () {
    work = await mkdtemp(join(tmpdir(), 'rxmode-pack-'));
    consumer = join(work, 'consumer');
    const source = join(work, 'source');
    await Promise.all([mkdir(consumer), stage(source)]);
    await run(process.execPath, [join(source, 'scripts/build.mjs')], source);
    const packed = JSON.parse(
      await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], source),
    ) as { filename: string; files: { path: string }[] }[];
    tarball = join(work, packed[0]!.filename);
    tarballFiles = packed[0]!.files.map((f) => f.path);

    await writeFile(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    // Offline and quick: the tarball itself, plus the peer (rxjs) and dependency (croner) linked
    // from this project's node_modules.
    await run(
      'npm',
      [
        'install',
        '--offline',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        '--no-package-lock',
        tarball,
        join(root, 'node_modules/rxjs'),
        join(root, 'node_modules/croner'),
        join(root, 'node_modules/@opentelemetry/api'),
        join(root, 'node_modules/prom-client'),
        join(root, 'node_modules/@angular/core'),
      ],
      consumer,
    );
    await writeFile(join(consumer, 'check.mjs'), ESM_CONSUMER);
    await writeFile(join(consumer, 'check.cjs'), CJS_CONSUMER);
    await writeFile(join(consumer, 'typed.mts'), TYPED_CONSUMER);
    await writeFile(join(consumer, 'typed.cts'), TYPED_CONSUMER);
    await writeFile(join(consumer, 'tsconfig.json'), JSON.stringify(TYPED_TSCONFIG));

    typeCheck = run(process.execPath, [tscBin, '-p', 'tsconfig.json', '--pretty', 'false'], consumer);
    typeCheck.catch(() => {}); // awaited by its test
    const [esm, cjs] = await Promise.all([
      run(process.execPath, ['check.mjs'], consumer),
      run(process.execPath, ['check.cjs'], consumer),
    ]);
    reports.esm = JSON.parse(esm) as Report;
    reports.cjs = JSON.parse(cjs) as Report;
  });

  after(async function () {
    await typeCheck?.catch(() => {});
    if (work) await rm(work, { recursive: true, force: true });
  });

  describe('tarball', function () {
    it('holds the builds, the docs and package.json, and no sources or specs', function () {
      for (const file of tarballFiles) {
        expect(file, file).to.match(/^(dist\/|package\.json$|README\.md$|CHANGELOG\.md$|LICENSE)/);
        expect(file.endsWith('.ts') && !file.endsWith('.d.ts'), `${file} is a source file`).to.equal(false);
      }
      expect(tarballFiles).to.include.members(['package.json', 'dist/cjs/package.json']);
    });

    it('marks the CommonJS build as commonjs', function () {
      const marker = join(consumer, 'node_modules/rxmode/dist/cjs/package.json');
      expect(JSON.parse(readFileSync(marker, 'utf8'))).to.deep.equal({ type: 'commonjs' });
    });

    it('ships .d.ts files for every entry point under both conditions', function () {
      for (const { dir } of ENTRIES) {
        for (const flavour of ['esm', 'cjs']) {
          const file = join(consumer, 'node_modules/rxmode/dist', flavour, dir, 'index.d.ts');
          expect(existsSync(file), file).to.equal(true);
        }
      }
    });

    it('has a file behind every target of the exports map', function () {
      const installed = JSON.parse(
        readFileSync(join(consumer, 'node_modules/rxmode/package.json'), 'utf8'),
      ) as typeof pkg;
      const targets: string[] = [];
      const collect = (node: unknown): void => {
        if (typeof node === 'string') targets.push(node);
        else if (node && typeof node === 'object') Object.values(node).forEach(collect);
      };
      collect(installed.exports);
      expect(targets.length).to.be.greaterThan(ENTRIES.length * 4 - 1);
      for (const target of targets.filter((t) => !t.includes('*'))) {
        expect(existsSync(join(consumer, 'node_modules/rxmode', target)), target).to.equal(true);
      }
    });
  });

  for (const flavour of ['esm', 'cjs'] as const) {
    const how = flavour === 'esm' ? 'import (an .mjs consumer)' : 'require (a .cjs consumer)';
    describe(how, function () {
      const report = (): Report => reports[flavour]!;

      it(`resolves each entry point to dist/${flavour}`, function () {
        for (const { id, dir } of ENTRIES) {
          expect(report().entries[id]?.resolved, id).to.match(
            new RegExp(`/node_modules/rxmode/dist/${flavour}/${dir}index\\.js$`),
          );
        }
      });

      it('exposes the public names of each entry point', function () {
        for (const { id, probe } of ENTRIES) expect(report().entries[id]?.exports, id).to.include(probe);
        expect(report().entries['rxmode']?.exports).to.include.members([
          'Service',
          'parseDuration',
          'humanizeDuration',
          'StopTimeoutError',
          'isServiceError',
        ]);
        expect(report().entries['rxmode/testing']?.exports).to.include.members([
          'createVirtualClock',
          'recordLifecycle',
          'lifecycleMarbles',
          'STATE_MARKS',
        ]);
      });

      it('parses durations and starts and stops a plain Service', function () {
        expect(report().parseDuration).to.equal(1000);
        expect(report().plain).to.deep.equal(['running', 'stopped']);
      });

      it('runs a service tree in virtual time through rxmode/testing', function () {
        expect(report().tree).to.deep.equal({
          state: 'stopped',
          ticks: 3,
          now: 3150,
          app: 's 100ms r 3s x 50ms |',
          db: 's 100ms r 3s x 50ms |',
          hooks: ['app/db.onStart', 'app/db.onShutdown'],
        });
      });

      it('blocks rxmode/internal/* and deep imports into dist', function () {
        expect(report().blocked).to.deep.equal({
          'rxmode/internal/work.js': 'ERR_PACKAGE_PATH_NOT_EXPORTED',
          'rxmode/internal/work': 'ERR_PACKAGE_PATH_NOT_EXPORTED',
          'rxmode/dist/esm/index.js': 'ERR_PACKAGE_PATH_NOT_EXPORTED',
          'rxmode/dist/cjs/index.js': 'ERR_PACKAGE_PATH_NOT_EXPORTED',
        });
      });

      it('exports rxmode/package.json', function () {
        expect(report().packageJson).to.equal(pkg.version);
      });

      it('ships the dashboard script built beside rxmode/node, and serves /metrics', function () {
        expect(report().dashboard).to.deep.equal({ script: 200, long: true, metrics: 200 });
      });
    });
  }

  describe('lint', function () {
    it('publint reports nothing, not even a suggestion (warnings count as errors)', async function () {
      const { publint } = await import('publint');
      const { formatMessage } = await import('publint/utils');
      const data = await readFile(tarball);
      const { messages, pkg: linted } = await publint({
        pack: { tarball: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) },
        level: 'suggestion',
        strict: true,
      });
      expect(
        messages.map((message) => formatMessage(message, linted, { color: false }) ?? message.code),
      ).to.deep.equal([]);
    });

    it('are-the-types-wrong finds no problem in any entry point (node10, node16 CJS and ESM, bundler)', async function () {
      const { stdout } = await runStatus(process.execPath, [attwBin, tarball, '--format', 'json'], work);
      const report = JSON.parse(stdout) as AttwReport;
      expect(report.analysis.problems).to.deep.equal([]);
      const subpaths = ENTRIES.map(({ id }) => (id === pkg.name ? '.' : `.${id.slice(pkg.name.length)}`));
      expect(Object.keys(report.analysis.entrypoints)).to.include.members(subpaths);
      for (const subpath of subpaths) {
        expect(Object.keys(report.analysis.entrypoints[subpath]!.resolutions), subpath).to.have.members([
          'node10',
          'node16-cjs',
          'node16-esm',
          'bundler',
        ]);
      }
    });
  });

  describe('browser', function () {
    it('bundles every browser entry point for the browser, without Node built-ins', async function () {
      const ids = ENTRIES.filter((e) => e.browser).map((e) => e.id);
      const result = await build({
        stdin: {
          contents: ids.map((id, i) => `export * as e${i} from '${id}';`).join('\n'),
          resolveDir: consumer,
          loader: 'js',
        },
        bundle: true,
        platform: 'browser',
        format: 'esm',
        write: false,
        metafile: true,
        logLevel: 'silent',
      });
      const inputs = Object.keys(result.metafile.inputs);
      for (const { dir } of ENTRIES.filter((e) => e.browser)) {
        expect(
          inputs.some((file) => file.endsWith(`rxmode/dist/esm/${dir}index.js`)),
          dir,
        ).to.equal(true);
      }
      expect(inputs.filter((file) => file.startsWith('node:'))).to.deep.equal([]);
    });
  });

  describe('types', function () {
    it('type-check an ESM and a CommonJS TypeScript consumer (nodenext)', async function () {
      await typeCheck;
    });
  });
});
