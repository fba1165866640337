// The dependency check of `npm run lint`: reads every import of every .ts file under lib/ (static,
// type-only, `export … from`, `import()` calls and `import('…')` types) with the TypeScript parser,
// and fails on an import that crosses a room's boundary or on any import cycle, type-only included.
// Usage: `node scripts/check-imports.mjs [root]` (root defaults to this package's lib/). Exit 1 on a problem.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

// Loaded with require: importing the CommonJS compiler as ESM scans it for exports (about 0.5 s).
const ts = createRequire(import.meta.url)('typescript');

/** The wings: folders under the root that may import the core, which never imports them. */
const WINGS = ['node', 'otel', 'prometheus', 'angular', 'testing', 'lease'];

/**
 * The only imports allowed from one wing into another. `rxmode/node` serves `/metrics` through
 * `rxmode/prometheus`, but loads it (and prom-client) on first request: the edge may only name the
 * wing's barrel, with `import type` or a dynamic `import()`, so loading `rxmode/node` never loads it.
 */
const WING_EDGES = [{ from: 'node', to: 'prometheus', barrel: 'index.ts', kinds: ['type', 'dynamic'] }];

/** The package's own name: `rxmode` and `rxmode/<wing>` resolve to the barrels under the root. */
const SELF = 'rxmode';

/** Every `.ts` file under `dir`, sorted, as absolute paths. */
function listFiles(dir) {
  const files = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...listFiles(path));
    else if (name.endsWith('.ts')) files.push(path);
  }
  return files;
}

/** The imports of one source file: `{ specifier, kind: 'value' | 'type' | 'dynamic', line }`. */
function readImports(path) {
  const text = readFileSync(path, 'utf8');
  // JSDoc is not read: an import written in a comment is no dependency (and skipping it is faster)
  const options = {
    languageVersion: ts.ScriptTarget.Latest,
    jsDocParsingMode: ts.JSDocParsingMode.ParseNone,
  };
  const source = ts.createSourceFile(path, text, options, false, ts.ScriptKind.TS);
  const found = [];
  const add = (literal, kind) => {
    if (literal && ts.isStringLiteralLike(literal)) {
      const line = source.getLineAndCharacterOfPosition(literal.getStart(source)).line + 1;
      found.push({ specifier: literal.text, kind, line });
    }
  };
  const visit = (node) => {
    if (ts.isImportDeclaration(node)) {
      add(node.moduleSpecifier, node.importClause?.isTypeOnly ? 'type' : 'value');
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      add(node.moduleSpecifier, node.isTypeOnly ? 'type' : 'value');
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, node.isTypeOnly ? 'type' : 'value');
    } else if (ts.isImportTypeNode(node)) {
      const argument = node.argument;
      if (ts.isLiteralTypeNode(argument)) add(argument.literal, 'type');
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], 'dynamic');
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/**
 * The file under `root` that `specifier` names from `from`: null when it points outside the package
 * (a dependency, `node:*`), undefined when it names a file that does not exist.
 */
function resolveSpecifier(root, from, specifier, known) {
  let base;
  if (specifier.startsWith('./') || specifier.startsWith('../') || specifier === '.' || specifier === '..') {
    base = resolve(dirname(from), specifier);
  } else if (specifier === SELF || specifier.startsWith(`${SELF}/`)) {
    base = join(root, specifier.slice(SELF.length));
  } else {
    return null;
  }
  const stem = base.replace(/\.(?:m|c)?js$/, '');
  const candidates = [`${stem}.ts`, `${stem}.mts`, `${stem}.cts`, `${stem}.d.ts`, join(base, 'index.ts')];
  return candidates.find((candidate) => known.has(candidate));
}

/** The room of a file: a wing's folder name, or `'core'`. */
function roomOf(root, file) {
  const first = relative(root, file).split(sep)[0];
  return WINGS.includes(first) && first !== relative(root, file) ? first : 'core';
}

/** Why an edge between rooms is not allowed, or null when it is. */
function boundaryProblem(root, edge) {
  const from = roomOf(root, edge.from);
  const to = roomOf(root, edge.to);
  if (from === to || to === 'core') return null;
  if (from === 'core') {
    return `core → wing: ${edge.label} imports the ${to} wing; the core never imports a wing (${WINGS.join(', ')})`;
  }
  const allowed = WING_EDGES.find((rule) => rule.from === from && rule.to === to);
  if (!allowed)
    return `wing → wing: ${edge.label} imports the ${to} wing from the ${from} wing; wings import only the core`;
  if (relative(join(root, to), edge.to) !== allowed.barrel || !allowed.kinds.includes(edge.kind)) {
    const how = allowed.kinds.map((kind) => (kind === 'type' ? '`import type`' : '`import()`')).join(' or ');
    return `wing → wing: ${edge.label} may reach the ${to} wing only through its ${allowed.barrel}, with ${how}`;
  }
  return null;
}

/** The strongly connected components of the graph with more than one file or a self-import (Tarjan). */
function cyclicComponents(files, next) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const components = [];
  let counter = 0;
  const connect = (file) => {
    index.set(file, counter);
    low.set(file, counter);
    counter += 1;
    stack.push(file);
    onStack.add(file);
    for (const target of next.get(file)) {
      if (!index.has(target)) {
        connect(target);
        low.set(file, Math.min(low.get(file), low.get(target)));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file), index.get(target)));
      }
    }
    if (low.get(file) === index.get(file)) {
      const component = [];
      let member;
      do {
        member = stack.pop();
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1 || next.get(file).has(file)) components.push(component.sort());
    }
  };
  for (const file of files) if (!index.has(file)) connect(file);
  return components;
}

/** A shortest cycle through `start` inside `component`, as a list of files ending where it began. */
function shortestCycle(start, component, next) {
  const inside = new Set(component);
  const previous = new Map([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift();
    for (const target of next.get(file)) {
      if (target === start) {
        const chain = [start];
        for (let at = file; at !== null && at !== start; at = previous.get(at)) chain.splice(1, 0, at);
        return [...chain, start];
      }
      if (inside.has(target) && !previous.has(target)) {
        previous.set(target, file);
        queue.push(target);
      }
    }
  }
  return [start, start];
}

/**
 * Checks the import graph of every .ts file under `root`.
 *
 * @returns the problems found (empty when the graph is sound) and the number of files read
 */
export function checkImports(root) {
  const absoluteRoot = resolve(root);
  const shown = (file) => relative(dirname(absoluteRoot), file).split(sep).join('/');
  const files = listFiles(absoluteRoot);
  const known = new Set(files);
  const next = new Map(files.map((file) => [file, new Set()]));
  const problems = [];
  for (const file of files) {
    for (const { specifier, kind, line } of readImports(file)) {
      const target = resolveSpecifier(absoluteRoot, file, specifier, known);
      if (target === null) continue;
      const label = `${shown(file)}:${line}`;
      if (target === undefined) {
        problems.push(
          `unresolved: ${label} imports '${specifier}', which names no .ts file under ${shown(absoluteRoot)}/`,
        );
        continue;
      }
      next.get(file).add(target);
      const problem = boundaryProblem(absoluteRoot, {
        from: file,
        to: target,
        kind,
        label: `${label} ('${specifier}')`,
      });
      if (problem) problems.push(problem);
    }
  }
  for (const component of cyclicComponents(files, next)) {
    const chain = shortestCycle(component[0], component, next).map(shown).join(' → ');
    const more =
      component.length > chain.split(' → ').length - 1 ? ` (${component.length} files in this knot)` : '';
    problems.push(`cycle: ${chain}${more}`);
  }
  return { problems, files: files.length };
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'lib');
  const { problems, files } = checkImports(root);
  const took = `${Math.round(performance.now())} ms`; // since the process began: compiler load included
  if (problems.length > 0) {
    process.stderr.write(`check-imports: ${problems.length} problem(s) in ${files} files (${took}):\n`);
    for (const problem of problems) process.stderr.write(`  ${problem}\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(`check-imports: ${files} files, no boundary crossed, no cycle (${took})\n`);
  }
}
