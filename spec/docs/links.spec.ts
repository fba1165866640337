/**
 * The documentation site as `npm run docs` builds it (typedoc.json), built here into a temp
 * directory: TypeDoc raises no warning about the guides or the README (a relative link to a missing
 * file, an anchor that does not exist, an unresolved `{@link}`), every guide has its page, and no
 * link inside the site leads to a missing page or anchor.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { ROOT, markdownFiles } from './markdown.js';

const TYPEDOC = join(ROOT, 'node_modules/typedoc/bin/typedoc');

/**
 * Warnings that are about the API reference, not about links a reader can follow: TypeDoc renders
 * these as plain text. An inherited comment's `{@link Service.x}` is resolved, but TypeDoc looks for
 * it in the inheriting class's module (rxmode/node), where Service is not exported; the target page
 * exists (it is Service's own), so the tool is wrong here.
 */
const TOLERATED = [/links to "Service\.\w+" which was resolved but is not included in the documentation/];

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** The ids a page can be linked to with `#…`. */
function anchorsOf(html: string): Set<string> {
  return new Set([...html.matchAll(/\s(?:id|name)="([^"]+)"/g)].map((m) => m[1]!));
}

describe('documentation site', function () {
  this.timeout(120_000);
  let out = '';
  let log = '';

  before(async function () {
    out = await mkdtemp(join(tmpdir(), 'rxmode-docs-'));
    log = await new Promise<string>((done, fail) => {
      execFile(
        process.execPath,
        // Type errors are the compiler's business (npm run typecheck); this spec is about links.
        [TYPEDOC, '--out', out, '--skipErrorChecking', '--logLevel', 'Warn'],
        { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error) fail(new Error(`typedoc failed:\n${stdout}\n${stderr}`));
          else done(`${stdout}\n${stderr}`);
        },
      );
    });
  });

  after(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('builds without a warning about a link, a guide or the README', function () {
    const warnings = log
      .split('\n')
      .map((line) => stripVTControlCharacters(line).trim())
      .filter((line) => /\[(warning|error)\]/.test(line) && !/Found \d+ errors? and \d+ warnings?/.test(line))
      .filter((line) => !TOLERATED.some((pattern) => pattern.test(line)));
    expect(warnings).to.deep.equal([]);
  });

  it('has a page for every guide, and the README as its home page', async function () {
    const guides = markdownFiles().filter((file) => file.startsWith('docs/guides/'));
    const pages = (await readdir(join(out, 'documents'))).filter((name) => name.endsWith('.html'));
    const titles = pages.map((name) =>
      /<title>([^<|]+)/.exec(readFileSync(join(out, 'documents', name), 'utf8'))?.[1]?.trim(),
    );
    expect(pages).to.have.length(guides.length + 1); // and BENCHMARKS.md
    for (const guide of guides) {
      const title = /^title:\s*(.+)$/m.exec(readFileSync(join(ROOT, guide), 'utf8'))?.[1]?.trim();
      expect(title, `${guide} has a title in its front matter`).to.be.a('string');
      expect(titles, guide).to.include(title);
    }
    const home = readFileSync(join(out, 'index.html'), 'utf8').replace(/<[^>]+>/g, '');
    expect(home.replace(/&amp;/g, '&')).to.include('npm install && npm start');
  });

  it('has no dead link or anchor between its pages', async function () {
    const files = await filesUnder(out);
    const pages = files.filter((file) => file.endsWith('.html'));
    const anchors = new Map<string, Set<string>>();
    const anchorsIn = (file: string) => {
      let found = anchors.get(file);
      if (!found) anchors.set(file, (found = anchorsOf(readFileSync(file, 'utf8'))));
      return found;
    };
    const dead: string[] = [];
    for (const page of pages) {
      const html = readFileSync(page, 'utf8');
      for (const [, href] of html.matchAll(/\shref="([^"]*)"/g)) {
        if (/^([a-z][a-z0-9+.-]*:|\/\/)/i.test(href!)) continue; // another site (http:, mailto:…)
        const [path, anchor] = href!.replace(/&amp;/g, '&').split('#') as [string, string | undefined];
        let target = path === '' ? page : resolve(dirname(page), decodeURIComponent(path.split('?')[0]!));
        if (existsSync(target) && statSync(target).isDirectory()) target = join(target, 'index.html');
        const from = relative(out, page);
        if (!target.startsWith(out) || !existsSync(target)) {
          dead.push(`${from}: ${href} (no such file)`);
        } else if (anchor && target.endsWith('.html') && !anchorsIn(target).has(decodeURIComponent(anchor))) {
          dead.push(`${from}: ${href} (no such anchor)`);
        }
      }
    }
    expect(pages.length).to.be.greaterThan(50);
    expect([...new Set(dead)]).to.deep.equal([]);
  });
});
