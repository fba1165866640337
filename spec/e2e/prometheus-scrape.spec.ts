/**
 * `/metrics` end to end with a real Prometheus server (Debian's `prometheus` package): a Worker runs
 * its probe server, Prometheus starts on 127.0.0.1 with a generated config that scrapes it every
 * second, and the services' states are read back from Prometheus's query API.
 * A missing Prometheus fails the spec with the `apt-get install` line; nothing is skipped.
 */
import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildTree, httpRequest, runWorker, type RunningWorker } from '../node/monitoring-helpers.js';
import { requireBinary, startServer, type RunningServer } from './support/servers.js';

/** One series of an instant vector from `/api/v1/query`. */
interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** Starts Prometheus scraping `target` (`host:port`) every second; resolves once it is ready. */
function startPrometheus(target: string): Promise<RunningServer> {
  const command = requireBinary({
    defaultPath: '/usr/bin/prometheus',
    envVar: 'PROMETHEUS_PATH',
    pkg: 'prometheus',
  });
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: rxmode',
    '    metrics_path: /metrics',
    '    static_configs:',
    `      - targets: ['${target}']`,
    '',
  ].join('\n');
  return startServer({
    name: 'prometheus',
    command,
    prepare: ({ dir }) => writeFile(join(dir, 'prometheus.yml'), config),
    args: ({ dir, port }) => [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    ready: async ({ port }) => (await httpRequest(port, '/-/ready')).status === 200,
  });
}

describe('Worker probe server: /metrics scraped by a real Prometheus', function () {
  this.timeout(30_000);
  let running: RunningWorker | undefined;
  let prometheus: RunningServer | undefined;

  before(async () => {
    const { worker, database } = buildTree();
    running = await runWorker(worker);
    await database.stop(); // one service in another state than running
    prometheus = await startPrometheus(`127.0.0.1:${running.port}`);
  });

  after(async () => {
    await prometheus?.stop();
    await running?.stop();
  });

  /** Queries until every service has a state series (a scrape happened); resolves the series. */
  async function scrapedStates(server: RunningServer): Promise<VectorSample[]> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (server.process.exitCode !== null) throw new Error(`prometheus exited:\n${server.output()}`);
      const answer = await httpRequest(server.port, '/api/v1/query?query=rxmode_service_state').catch(
        () => undefined,
      );
      if (answer?.status === 200) {
        const body = JSON.parse(answer.body) as { status: string; data: { result: VectorSample[] } };
        if (body.status === 'success' && body.data.result.length === 6 * 6) return body.data.result;
      }
      if (Date.now() > deadline) {
        throw new Error(`no rxmode_service_state in Prometheus after 20 s:\n${server.output()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it("returns the services' states from its query API", async () => {
    const series = await scrapedStates(prometheus!);
    const current: Record<string, string> = {};
    for (const { metric, value } of series) {
      expect(metric).to.include({ job: 'rxmode', instance: `127.0.0.1:${running!.port}` });
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
