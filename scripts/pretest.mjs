// Before `npm test`: build the package, and build the Angular demo that the browser tests load.
// The demo installs rxmode as a packed copy (install-links), so the fresh dist is copied into it
// rather than reinstalling everything; its own dependencies are installed once, from its lockfile.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const demo = join(root, 'demos', 'angular');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = (args, cwd) => execFileSync(npm, args, { cwd, stdio: 'inherit' });

run(['run', 'build', '--silent'], root);
if (!existsSync(join(demo, 'node_modules', '@angular', 'core'))) {
  run(['ci', '--no-audit', '--no-fund'], demo);
} else {
  const copy = join(demo, 'node_modules', 'rxmode');
  rmSync(join(copy, 'dist'), { recursive: true, force: true });
  cpSync(join(root, 'dist'), join(copy, 'dist'), { recursive: true });
  cpSync(join(root, 'package.json'), join(copy, 'package.json'));
}
run(['run', 'build', '--silent'], demo);
