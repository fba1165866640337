// Specs for scripts/check-imports.mjs, the dependency check of `npm run lint`: it must fail on a
// fixture tree that breaks every rule (so the check is proven able to fail), naming each problem,
// and pass on the real lib/.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the check as `npm run lint` does, on `args`, from the package root. */
function check(...args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['scripts/check-imports.mjs', ...args],
      { cwd: root },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('scripts/check-imports.mjs', () => {
  describe('on a tree that breaks every rule (spec/fixtures/imports/lib)', () => {
    let outcome: Outcome;
    let problems: string[];

    before(async () => {
      outcome = await check('spec/fixtures/imports/lib');
      problems = outcome.stderr
        .split('\n')
        .slice(1)
        .map((line) => line.trim())
        .filter(Boolean);
    });

    it('fails with exit code 1 and a count of the problems', () => {
      expect(outcome.code).to.equal(1);
      expect(outcome.stderr).to.match(/^check-imports: 7 problem\(s\) in 15 files/);
      expect(problems).to.have.length(7);
    });

    it('refuses a core → wing import, naming the file, the line and the wing', () => {
      expect(problems).to.include(
        "core → wing: lib/service.ts:2 ('./node/worker.js') imports the node wing; the core never imports a wing (node, otel, prometheus, angular, testing, lease)",
      );
    });

    it('refuses a type-only import of the testing wing from the core', () => {
      expect(
        problems.some((p) => p.startsWith("core → wing: lib/clock.ts:2 ('./testing/recorder.js')")),
      ).to.equal(true);
    });

    it('refuses a wing → wing import', () => {
      expect(problems).to.include(
        "wing → wing: lib/node/worker.ts:2 ('../otel/spans.js') imports the otel wing from the node wing; wings import only the core",
      );
    });

    it('lets the node wing name the prometheus barrel with import type, and nothing more', () => {
      expect(problems).to.include(
        "wing → wing: lib/node/metrics.ts:3 ('../prometheus/collect.js') may reach the prometheus wing only through its index.ts, with `import type` or `import()`",
      );
      expect(problems.join('\n')).not.to.include('prometheus/index.js');
    });

    it('reports an import cycle that is type-only on one side, as a chain of files', () => {
      expect(problems).to.include('cycle: lib/errors.ts → lib/events.ts → lib/errors.ts');
    });

    it('reports a cycle through export … from, a value import and an import() type', () => {
      expect(problems).to.include('cycle: lib/a.ts → lib/b.ts → lib/c.ts → lib/a.ts');
    });

    it('reports an import that names no file', () => {
      expect(problems).to.include(
        "unresolved: lib/missing.ts:3 imports './gone.js', which names no .ts file under lib/",
      );
    });

    it('accepts what the rules allow: wings and testing importing the core, barrels, a sound chain', () => {
      const text = problems.join('\n');
      expect(text).not.to.include('lib/testing/recorder.ts');
      expect(text).not.to.include('lib/index.ts');
    });
  });

  describe('on lib/', () => {
    it('passes: no boundary crossed, no cycle', async () => {
      const outcome = await check();
      expect(outcome.stderr).to.equal('');
      expect(outcome.code).to.equal(0);
      expect(outcome.stdout).to.match(/^check-imports: \d+ files, no boundary crossed, no cycle/);
    });
  });
});
