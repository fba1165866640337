/**
 * Every TypeScript example of README.md and docs/guides/*.md type-checks against the built package,
 * as a user would compile it: `rxmode`, `rxmode/node`… resolve through package.json's `exports` to
 * the `.d.ts` files in dist/ (built by `npm run build`, which `npm test` runs first). A block that
 * is deliberately partial says so in its info string (```` ```ts partial ````) and only then is skipped.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, codeBlocks, markdownFiles, typescriptBlocks, type CodeBlock } from './markdown.js';

const tscBin = createRequire(join(ROOT, 'package.json')).resolve('typescript/bin/tsc');

/** The marker of a block that is not meant to compile on its own. */
const PARTIAL = 'partial';

/** How a user's project compiles the examples: ESM, strict, Node and DOM types, standard decorators. */
const TSCONFIG = {
  compilerOptions: {
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    lib: ['es2022', 'esnext.disposable', 'dom'],
    types: ['node'],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    noUnusedLocals: false,
  },
  include: ['examples/*.ts'],
};

/** A scratch project: its node_modules links this project's packages, and `rxmode` links the root. */
async function scratchProject(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rxmode-examples-'));
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'examples', private: true, type: 'module' }),
  );
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  const modules = join(dir, 'node_modules');
  await Promise.all([mkdir(join(dir, 'examples')), mkdir(modules)]);
  for (const name of await readdir(join(ROOT, 'node_modules'))) {
    if (name.startsWith('.')) continue;
    await symlink(join(ROOT, 'node_modules', name), join(modules, name), 'dir');
  }
  await symlink(ROOT, join(modules, 'rxmode'), 'dir');
  return dir;
}

/** The file name of a block: `README.md:19` → `README-19.ts`. */
function fileNameOf(block: CodeBlock): string {
  return `${block.file.replace(/^docs\/guides\//, '').replace(/\.md$/, '')}-${block.line}.ts`;
}

describe('documentation examples', function () {
  this.timeout(60_000);
  const blocks = typescriptBlocks();
  const complete = blocks.filter((b) => !b.flags.includes(PARTIAL));
  let dir = '';

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads the marker of a partial block from its info string only', function () {
    const sample = [
      '```ts',
      'const a = 1;',
      '```',
      '<!-- partial -->',
      '```ts partial',
      'app.stop();',
      '```',
      '~~~typescript',
      'const b = 2;',
      '~~~',
    ].join('\n');
    expect(codeBlocks(sample, 'x.md').map((b) => [b.line, b.language, b.flags, b.code])).to.deep.equal([
      [2, 'ts', [], 'const a = 1;'],
      [6, 'ts', ['partial'], 'app.stop();'],
      [9, 'typescript', [], 'const b = 2;'],
    ]);
  });

  it('finds examples to check in the README and in every guide', function () {
    const files = new Set(complete.map((b) => b.file));
    for (const file of markdownFiles()) {
      const count = blocks.filter((b) => b.file === file).length;
      if (count > 0) expect(files.has(file), `${file}: every example is marked partial`).to.equal(true);
    }
    expect(complete.length).to.be.greaterThan(20);
  });

  it('type-checks every complete TypeScript block against the built package', async function () {
    const types = join(ROOT, 'dist/esm/index.d.ts');
    if (!existsSync(types))
      throw new Error('dist/ is missing: run `npm run build` (npm test does it first).');
    dir = await scratchProject();
    const files = new Map<string, CodeBlock>();
    for (const block of complete) {
      const name = fileNameOf(block);
      files.set(name, block);
      // `export {}` makes every block a module of its own, as a file of the user's would be.
      await writeFile(join(dir, 'examples', name), `${block.code}\nexport {};\n`);
    }
    const output = await new Promise<string>((resolve) => {
      execFile(
        process.execPath,
        [tscBin, '-p', 'tsconfig.json', '--pretty', 'false'],
        { cwd: dir },
        (_e, stdout) => resolve(stdout),
      );
    });
    // examples/README-19.ts(3,7): error TS2304: … → README.md:21:7 error TS2304: …
    const errors = output
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => {
        const at = /^examples\/([^(]+)\((\d+),(\d+)\): (.*)$/.exec(line);
        const block = at && files.get(at[1]!);
        return block ? `${block.file}:${block.line + Number(at[2]) - 1}:${at[3]} ${at[4]}` : line;
      });
    expect(errors, 'mark a block ```ts partial only when it is meant to be incomplete').to.deep.equal([]);
  });
});
