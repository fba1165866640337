/**
 * Where rxmode/node finds the files shipped beside it (the thread entry, the watchdog's): from the
 * module's own location in ESM and in CommonJS, never from a global `__filename` that a tool or
 * `node -e` set, and from the chunk holding it in the bundled ESM build. The built packages are
 * checked in real processes (dist/ from `npm run build`).
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { moduleLocation } from '../../lib/node/module-dir.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const DIST = join(ROOT, 'dist');

/** Runs `node ...args` in `cwd`; resolves with its exit code and output. */
function node(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, args, { cwd, timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

describe('moduleLocation()', function () {
  it('is the folder of rxmode/node, even with a global __filename set', function () {
    const global = globalThis as { __filename?: unknown };
    const had = Object.hasOwn(global, '__filename');
    const saved = global.__filename;
    global.__filename = join(tmpdir(), 'some-tool', 'index.js');
    try {
      expect(moduleLocation()).to.deep.equal({ dir: join(ROOT, 'lib', 'node'), ext: '.ts' });
    } finally {
      if (had) global.__filename = saved;
      else delete global.__filename;
    }
  });

  describe('in the built package', function () {
    this.timeout(30_000);
    let dir = '';
    before(async function () {
      if (!existsSync(join(DIST, 'esm/node/index.js')) || !existsSync(join(DIST, 'cjs/node/index.js')))
        throw new Error('dist/ is missing: run `npm run build` (npm test does it first).');
      dir = await mkdtemp(join(tmpdir(), 'rxmode-module-dir-'));
      const esmCore = pathToFileURL(join(DIST, 'esm/index.js')).href;
      await writeFile(
        join(dir, 'echo.mjs'),
        `import { Service } from ${JSON.stringify(esmCore)};\n` +
          'export class Echo extends Service { echo(text) { return text; } }\n',
      );
      await writeFile(
        join(dir, 'echo.cjs'),
        `const { Service } = require(${JSON.stringify(join(DIST, 'cjs/index.js'))});\n` +
          'exports.Echo = class Echo extends Service { echo(text) { return text; } };\n',
      );
    });
    after(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    /** A script that starts a ThreadService on `module`, calls it once and stops it. */
    const lifecycle = (module: string): string =>
      `const echo = new ThreadService(${JSON.stringify(join(dir, module))}, { export: 'Echo' });\n` +
      "await echo.start(); console.log(await echo.call('echo', 'hello from the thread'));\n" +
      'await echo.stop();\n';

    it('starts a ThreadService from the ESM build under `node --input-type=module -e`, a global __filename set', async function () {
      const esmNode = pathToFileURL(join(DIST, 'esm/node/index.js')).href;
      const script =
        "globalThis.__filename = '/elsewhere/tool.js';\n" +
        `const { ThreadService } = await import(${JSON.stringify(esmNode)});\n` +
        lifecycle('echo.mjs');
      const result = await node(['--input-type=module', '-e', script], dir);
      expect(result.stderr).to.equal('');
      expect(result).to.include({ code: 0, stdout: 'hello from the thread\n' });
    });

    it('starts the watchdog thread of a BlockingDetector from the ESM build, its stack mapped to lib/', async function () {
      const esmCore = pathToFileURL(join(DIST, 'esm/index.js')).href;
      const esmNode = pathToFileURL(join(DIST, 'esm/node/index.js')).href;
      const script =
        `const { Service } = await import(${JSON.stringify(esmCore)});\n` +
        `const { BlockingDetector } = await import(${JSON.stringify(esmNode)});\n` +
        'const spin = () => { const end = Date.now() + 600; while (Date.now() < end); };\n' +
        "const app = new Service({ name: 'app' });\n" +
        "const detector = new BlockingDetector({ timeout: '150ms', watch: app });\n" +
        "const blocked = new Promise((resolve) => detector.events$.subscribe((e) => e.type === 'blocked' && resolve(e)));\n" +
        'await detector.start(); await app.start();\n' +
        "app.addTimer(50, spin, { name: 'spin' });\n" +
        'const event = await blocked; await app.stop(); await detector.stop();\n' +
        'console.log(JSON.stringify({ running: event.running, stack: event.stack }));\n';
      const result = await node(['--input-type=module', '-e', script], dir);
      expect(result.stderr).to.equal('');
      expect(result.code).to.equal(0);
      const report = JSON.parse(result.stdout) as { running: string[]; stack: string };
      expect(report.running).to.deep.equal(['app:timer:spin']);
      expect(report.stack).to.match(/lib[\\/]internal[\\/][\w-]+\.ts:\d+:\d+\)/);
    });

    it('starts a ThreadService from the CommonJS build under `node -e` (a global __filename of its own)', async function () {
      const script =
        `const { ThreadService } = require(${JSON.stringify(join(DIST, 'cjs/node/index.js'))});\n` +
        `(async () => {\n${lifecycle('echo.cjs')}})().catch((e) => { console.error(e); process.exit(1); });\n`;
      const result = await node(['-e', script], dir);
      expect(result.stderr).to.equal('');
      expect(result).to.include({ code: 0, stdout: 'hello from the thread\n' });
    });
  });
});
