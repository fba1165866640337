// The fencing demo (demos/leader-postgres.ts, README and guide 11) against a real PostgreSQL: two
// replicas elect a leader, the leader's session is killed, the next term begins, and a late write
// with the first term's token is refused by the table.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startPostgres, type PostgresServer } from './support/postgres.js';

const DEMO = fileURLToPath(new URL('../../demos/leader-postgres.ts', import.meta.url));

function runDemo(url: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', DEMO], {
      env: { ...process.env, PG_URL: url, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('demos/leader-postgres.ts (fencing with PostgreSQL)', function () {
  this.timeout(90_000);
  let server: PostgresServer | undefined;

  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
  });

  it('elects a leader, fails over when its session dies, and refuses the old token', async () => {
    const { host, port, user, database } = server!.connection;
    const { code, stdout, stderr } = await runDemo(`postgres://${user}@${host}:${port}/${database}`);
    expect(code, `exit code; stderr:\n${stderr}`).to.equal(0);
    const first = /(\w) leads \(token (\d+)\)/.exec(stdout);
    expect(first, stdout).to.not.equal(null);
    const late = /late write with token (\d+): (\w+)/.exec(stdout);
    expect(late?.[1], stdout).to.equal(first![2]);
    expect(late?.[2], stdout).to.equal('REFUSED');
    expect(stdout).to.match(/rows written, by replica and token:/);
  });
});
