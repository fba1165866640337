// rxmode/angular in an application WITH zone.js, compiled with experimentalDecorators (as Angular
// projects are): run in a child process (spec/angular/fixtures/zone-app.ts) so that zone.js never
// patches the globals of this mocha process.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';

const run = promisify(execFile);
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

interface ZoneAppReport {
  decorators: 'experimental' | 'standard';
  zone: string;
  hasZoneJs: boolean;
  stateAfterBootstrap: string;
  ticks: number;
  tickedInAngularZone: boolean[];
  rendered: { state: string; plain: number };
  stateAfterDestroy: string;
}

describe('rxmode/angular with zone.js and experimentalDecorators', function () {
  this.timeout(60_000);
  let report: ZoneAppReport;

  before(async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', `${fixtures}zone-app.ts`], {
      env: { ...process.env, TSX_TSCONFIG_PATH: `${fixtures}tsconfig.json` },
      timeout: 50_000,
    });
    const line = stdout.trim().split('\n').pop() ?? '';
    report = JSON.parse(line) as ZoneAppReport;
  });

  it('runs in a real NgZone, with the @timer decorator compiled as an experimental decorator', () => {
    expect(report.hasZoneJs).to.equal(true);
    expect(report.zone).to.equal('NgZone');
    expect(report.decorators).to.equal('experimental');
  });

  it('starts the services before bootstrap resolves and runs their timers in the Angular zone', () => {
    expect(report.stateAfterBootstrap).to.equal('running');
    expect(report.ticks, '20ms timer over 300ms').to.be.greaterThan(3);
    expect(report.tickedInAngularZone).to.deep.equal([true]);
  });

  it('renders the state signal and zone-detected plain fields', () => {
    expect(report.rendered.state).to.equal('running');
    expect(report.rendered.plain).to.be.greaterThan(0);
  });

  it('stops the services when the application is destroyed', () => {
    expect(report.stateAfterDestroy).to.equal('stopped');
  });
});
