/**
 * `/metrics` on the Worker's probe server, scraped over real HTTP and parsed as the Prometheus text
 * exposition format: the tree's series while the Worker runs, gone once it stopped, the rest of the
 * default register served too, and a clear 501 in a process without prom-client.
 */
import { expect } from 'chai';
import { Counter, register } from 'prom-client';
import { httpGet, runFixture, stopAll } from '../helpers.js';
import { buildTree, httpRequest, runWorker, until, type RunningWorker } from '../monitoring-helpers.js';

/** One sample line of the exposition format. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the text format: `# HELP` / `# TYPE` comments, then `name{label="value",…} number` lines. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a line of the exposition format: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key!] = raw!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return { samples, types };
}

/** The value of the sample with this name whose labels include `labels`; throws unless exactly one. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string>): number {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return found[0]!.value;
}

/** The state whose gauge is 1 for each service. */
function currentStates(samples: Sample[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of samples)
    if (s.name === 'rxmode_service_state' && s.value === 1) out[s.labels.service!] = s.labels.state!;
  return out;
}

describe('Worker probe server: /metrics', () => {
  let running: RunningWorker | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    stopAll();
  });

  it("serves the tree's states, restarts and decisions in the Prometheus text format", async () => {
    const { worker, consumer } = buildTree({}, '20ms');
    running = await runWorker(worker);
    const first = await httpRequest(running.port, '/metrics');
    expect(first.status).to.equal(200);
    expect(first.headers['content-type']).to.equal(register.contentType);
    const { samples, types } = parseExposition(first.body);
    expect(types.get('rxmode_service_state')).to.equal('gauge');
    expect(types.get('rxmode_service_restarts_total')).to.equal('counter');
    expect(types.get('rxmode_service_start_duration_seconds')).to.equal('histogram');
    expect(currentStates(samples)).to.deep.equal({
      Worker: 'running',
      'Worker/Database': 'running',
      'Worker/Api': 'running',
      'Worker/Api/Cache': 'running',
      'Worker/Consumers': 'running',
      'Worker/Consumers/Consumer': 'running',
    });
    expect(valueOf(samples, 'rxmode_service_state', { service: 'Worker/Api', state: 'stopped' })).to.equal(0);
    expect(
      valueOf(samples, 'rxmode_service_start_duration_seconds_count', { service: 'Worker/Api/Cache' }),
    ).to.equal(1);

    consumer.crash(new Error('poisoned job'));
    await until(() => (consumer.state === 'running' ? true : undefined));
    const after = parseExposition((await httpRequest(running.port, '/metrics')).body).samples;
    expect(
      valueOf(after, 'rxmode_service_restarts_total', { service: 'Worker/Consumers/Consumer' }),
    ).to.equal(1);
    expect(
      valueOf(after, 'rxmode_supervisor_decisions_total', {
        supervisor: 'Worker/Consumers',
        decision: 'restart',
      }),
    ).to.equal(1);
  });

  it('serves whatever else the default register holds, and HEAD without a body', async () => {
    const jobs = new Counter({ name: 'app_jobs_total', help: 'Jobs done.' });
    try {
      jobs.inc(3);
      const { worker } = buildTree();
      running = await runWorker(worker);
      const { samples } = parseExposition((await httpRequest(running.port, '/metrics')).body);
      expect(valueOf(samples, 'app_jobs_total', {})).to.equal(3);
      const head = await httpRequest(running.port, '/metrics', { method: 'HEAD' });
      expect(head).to.deep.include({ status: 200, body: '' });
    } finally {
      register.removeSingleMetric('app_jobs_total');
    }
  });

  it("removes the tree's metrics from the default register when the Worker stops", async () => {
    const { worker } = buildTree();
    running = await runWorker(worker);
    expect(register.getSingleMetric('rxmode_service_state')).to.not.equal(undefined);
    expect(await running.stop()).to.equal(0);
    running = undefined;
    expect(register.getSingleMetric('rxmode_service_state')).to.equal(undefined);
    expect(await register.metrics()).to.not.include('rxmode_');
  });

  it('answers 501 with the install command in a process without prom-client', async () => {
    const fixture = runFixture('worker-without-prom-client.ts');
    const [, port] = await fixture.waitFor(/port=(\d+)/, 'stdout', 15_000);
    expect(await httpGet(Number(port), '/metrics')).to.deep.equal({
      status: 501,
      body: '/metrics needs the optional peer dependency prom-client: npm install prom-client\n',
    });
    expect((await httpGet(Number(port), '/livez')).status).to.equal(200);
    expect((await httpGet(Number(port), '/dashboard')).status).to.equal(200);
    fixture.kill('SIGTERM');
    expect((await fixture.exited).code).to.equal(0);
  });
});
