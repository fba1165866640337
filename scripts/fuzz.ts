// `npm run fuzz`: the lifecycle property of spec/properties/ for as many runs as FUZZ_RUNS asks
// (default 1000, virtual time; FUZZ_REAL_RUNS real-time runs after them, default 0). FUZZ_SEED picks
// the seed (default: a random one, printed); FUZZ_SEED plus FUZZ_PATH replays one failing case. A
// failure prints the shrunk case as a regression spec in TypeScript, and the seed and path.
import fc from 'fast-check';
import { toRegressionSpec } from '../spec/properties/codegen.js';
import type { Mode } from '../spec/properties/model.js';
import { lifecycleProperty, parameters, settings } from '../spec/properties/property.js';
import { runScenario } from '../spec/properties/runner.js';

const env = { ...process.env };
env['FUZZ_SEED'] ||= String(Math.floor(Math.random() * 2 ** 31));

async function fuzz(mode: Mode, defaultRuns: number): Promise<boolean> {
  const s = settings(mode, defaultRuns, env);
  if (s.runs === 0) return true;
  const t0 = Date.now();
  console.log(`fuzz (${mode} time): ${s.runs} runs, seed ${s.seed}${s.path ? `, path ${s.path}` : ''}`);
  const details = await fc.check(lifecycleProperty(mode), { ...parameters(s), verbose: 0 });
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  if (!details.failed) {
    console.log(`  ${details.numRuns} runs passed in ${seconds} s`);
    return true;
  }
  const scenario = details.counterexample![0];
  // the trace (what each step did) comes from a replay in virtual time
  const replay = await runScenario(scenario, 'virtual');
  const violations =
    replay.violations.length > 0 ? replay.violations : ((details.errorInstance as any)?.violations ?? []);
  const origin = `FUZZ_SEED=${details.seed} FUZZ_PATH=${details.counterexamplePath} npm run fuzz`;
  console.log(`  FAILED after ${details.numRuns} runs and ${details.numShrinks} shrinks (${seconds} s)`);
  console.log(`  seed ${details.seed}, path ${details.counterexamplePath}`);
  console.log(`  replay: ${origin}`);
  console.log(
    `\n${String((details.errorInstance as Error | undefined)?.message ?? details.errorInstance)}\n`,
  );
  if (mode === 'real' && replay.violations.length === 0) {
    console.log('  (the case does not fail in virtual time: the code below replays it there)');
  }
  console.log('// ─── regression spec ' + '─'.repeat(60));
  console.log(toRegressionSpec(scenario, replay.trace, violations, origin));
  console.log(`// scenario: ${JSON.stringify(scenario)}`);
  return false;
}

const ok = (await fuzz('virtual', 1000)) && (await fuzz('real', 0));
process.exit(ok ? 0 : 1);
