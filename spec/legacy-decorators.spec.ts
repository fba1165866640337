// Specs for the decorators under `experimentalDecorators: true` (API.md section 3.5), as Angular
// projects compile them. tsx picks the decorator mode from the tsconfig and mocha loads every spec
// with the root one, so the fixture runs in a child process with its own tsconfig.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const fixture = 'spec/legacy-decorators/decorators.legacy.ts';
const legacyTsconfig = fileURLToPath(new URL('./legacy-decorators/tsconfig.json', import.meta.url));

/** Runs the fixture with tsx, optionally under the legacy tsconfig, and parses what it printed. */
async function runFixture(tsconfig: string | undefined): Promise<Record<string, any>> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.TSX_TSCONFIG_PATH;
  delete env.NODE_OPTIONS;
  if (tsconfig) env.TSX_TSCONFIG_PATH = tsconfig;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', fixture], {
    cwd: root,
    env,
    timeout: 30_000,
  });
  return JSON.parse(stdout.trim()) as Record<string, any>;
}

describe('decorators (experimentalDecorators)', function () {
  this.timeout(60_000);
  let legacy: Record<string, any>;
  before(async () => {
    legacy = await runFixture(legacyTsconfig);
  });

  it('really compiles the fixture in legacy mode (decorators get 3 arguments)', async () => {
    expect(legacy.decoratorCalls).to.deep.equal([{ count: 3, third: 'object' }]);
    const standard = await runFixture(undefined);
    expect(standard.decoratorCalls, 'control: the root tsconfig gives standard decorators').to.deep.equal([
      { count: 2, third: 'undefined' },
    ]);
  });

  it('@task runs the method on every start with the service as this and its signal', () => {
    expect(legacy.taskCalls).to.deep.equal([{ isThis: true, isSignal: true }]);
    expect(legacy.taskCallsAfterThreeRuns).to.equal(3);
  });

  it('@task({ drain: true }) is awaited at stop, as the task:<method> phase', () => {
    expect(legacy.firstStop).to.equal('ERR_STOP_TIMEOUT');
    expect(legacy.stuck).to.deep.equal(['task:flush']);
    expect([legacy.flushedBeforeRelease2, legacy.flushedAfterRelease2]).to.deep.equal([0, 1]);
    expect([legacy.flushedBeforeRelease3, legacy.flushedAfterRelease3]).to.deep.equal([1, 2]);
  });

  it("@timer('10ms') ticks at a fixed rate, skips while the body runs, and is named after the method", () => {
    expect(legacy.ticks).to.deep.equal([
      [0, 10],
      [1, 30],
      [2, 40],
    ]);
    expect(legacy.overlaps).to.deep.equal(['beat']);
    expect(legacy.eager).to.deep.equal([0, 10, 20, 30, 40]);
  });

  it("@crontab('* * * * * *') runs every second", () => {
    expect(legacy.cron).to.deep.equal([
      '2024-01-01T00:00:01.000Z',
      '2024-01-01T00:00:02.000Z',
      '2024-01-01T00:00:03.000Z',
    ]);
  });

  it('@transitionsTo sets the flag while the method runs, with scheduler times', () => {
    expect(legacy.compact).to.equal('compacted');
    expect(legacy.syncSeen).to.equal(true);
    expect(legacy.flagsAfterSync).to.deep.equal([]);
    expect(legacy.flagsDuringAsync).to.deep.equal(['syncing']);
    expect(legacy.syncResult).to.equal('synced');
    expect(legacy.flagsAfterAsync).to.deep.equal([]);
    expect([legacy.setAt, legacy.unsetAt]).to.deep.equal([100, 180]);
  });

  it('a subclass overriding a decorated method replaces it and keeps the inherited ones', () => {
    expect(legacy.subclass).to.have.members(['derived', 'inherited', 'derived pace 25', 'derived pace 50']);
    expect(legacy.subclass).to.have.length(4);
  });
});
