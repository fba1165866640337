/**
 * `/metrics` end to end with a real Prometheus server (Debian's `prometheus` package): the spec
 * runs a Worker, starts Prometheus on 127.0.0.1 with a generated config that scrapes the Worker's
 * probe server every second, and reads the services' states back from Prometheus's query API.
 * A missing Prometheus fails the spec with the install command; nothing is skipped.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTree, httpRequest, runWorker, type RunningWorker } from './monitoring-helpers.js';

/** Where Prometheus is looked for: `PROMETHEUS_PATH`, else Debian's `/usr/bin/prometheus`. */
const PROMETHEUS_PATH = process.env.PROMETHEUS_PATH ?? '/usr/bin/prometheus';

/** A free TCP port on 127.0.0.1 (for Prometheus's web listener, which cannot report its own). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** One series of an instant vector from `/api/v1/query`. */
interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

describe('Worker probe server: /metrics scraped by a real Prometheus', function () {
  this.timeout(30_000);
  let running: RunningWorker | undefined;
  let prometheus: ChildProcess | undefined;
  let dir: string | undefined;

  afterEach(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus!.once('close', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    prometheus = undefined;
    await running?.stop();
    running = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("returns the services' states from its query API", async () => {
    if (!existsSync(PROMETHEUS_PATH)) {
      throw new Error(
        `Prometheus not found at ${PROMETHEUS_PATH}. This spec needs it and never skips: install it with ` +
          '`apt-get install -y --no-install-recommends prometheus` or point PROMETHEUS_PATH at a binary.',
      );
    }
    const { worker, database } = buildTree();
    running = await runWorker(worker);
    await database.stop(); // one service in another state than running

    dir = await mkdtemp(join(tmpdir(), 'rxmode-prometheus-'));
    const config = [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: rxmode',
      '    metrics_path: /metrics',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${running.port}']`,
      '',
    ].join('\n');
    await writeFile(join(dir, 'prometheus.yml'), config);
    const port = await freePort();
    let output = '';
    const started = Date.now();
    prometheus = spawn(
      PROMETHEUS_PATH,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    prometheus.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));

    /** Queries until every service has a state series (a scrape happened); resolves the series. */
    const query = async (): Promise<VectorSample[]> => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        if (prometheus?.exitCode !== null) throw new Error(`prometheus exited:\n${output}`);
        const answer = await httpRequest(port, '/api/v1/query?query=rxmode_service_state').catch(
          () => undefined,
        );
        if (answer?.status === 200) {
          const body = JSON.parse(answer.body) as { status: string; data: { result: VectorSample[] } };
          if (body.status === 'success' && body.data.result.length === 6 * 6) return body.data.result;
        }
        if (Date.now() > deadline)
          throw new Error(`no rxmode_service_state in Prometheus after 20 s:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };
    const series = await query();
    console.log(`      Prometheus answered with the first scrape after ${Date.now() - started} ms`);

    const current: Record<string, string> = {};
    for (const { metric, value } of series) {
      expect(metric).to.include({ job: 'rxmode', instance: `127.0.0.1:${running.port}` });
      if (value[1] === '1') {
        expect(current, `two current states for ${metric.service}`).to.not.have.property(metric.service!);
        current[metric.service!] = metric.state!;
      } else {
        expect(value[1]).to.equal('0');
      }
    }
    expect(current).to.deep.equal({
      Worker: 'running',
      'Worker/Database': 'stopped',
      'Worker/Api': 'running',
      'Worker/Api/Cache': 'running',
      'Worker/Consumers': 'running',
      'Worker/Consumers/Consumer': 'running',
    });
  });
});
