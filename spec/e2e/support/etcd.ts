/**
 * A real etcd 3.4 (Debian's `etcd-server`) for the end-to-end specs: one member on loopback with its
 * data in a temp directory, which a spec can halt and resume on the same port and data to play an
 * engine outage.
 */
import { request } from 'node:http';
import { join } from 'node:path';
import { freePort, requireBinary, startServer, type RunningServer } from './servers.js';
import type { EngineServer } from './failover-suite.js';

/** True when etcd's `/health` on `port` answers healthy. */
function isHealthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/health', timeout: 1000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(res.statusCode === 200 && /"health":\s*"true"/.test(body)));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** The command line of a single-member etcd listening on `port` (clients) and `peerPort`. */
function etcdArgs(port: number, peerPort: number, dataDir: string): string[] {
  const peer = `http://127.0.0.1:${peerPort}`;
  const client = `http://127.0.0.1:${port}`;
  return [
    '--name=rxmode',
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=rxmode=${peer}`,
    '--logger=zap',
    '--log-level=warn',
  ];
}

/**
 * Starts etcd on a free loopback port and resolves once `/health` answers. A missing binary fails
 * with the `apt-get install` line (never a skip); `ETCD_PATH` points at another binary.
 */
export async function startEtcd(): Promise<EngineServer> {
  const command = requireBinary({ defaultPath: '/usr/bin/etcd', envVar: 'ETCD_PATH', pkg: 'etcd-server' });
  const peerPorts = new Map<string, number>();
  const first = await startServer({
    name: 'etcd',
    command,
    prepare: async ({ dir }) => void peerPorts.set(dir, await freePort()),
    args: ({ port, dir }) => etcdArgs(port, peerPorts.get(dir)!, join(dir, 'data')),
    ready: ({ port }) => isHealthy(port),
  });
  const { port, dir } = first;
  const peerPort = peerPorts.get(dir)!;
  /** Every process started, the first last: it owns the data directory, removed by its stop(). */
  const processes: RunningServer[] = [first];
  let current: RunningServer | undefined = first;

  const halt = async (): Promise<void> => {
    const server = current;
    current = undefined;
    if (!server || server.process.exitCode !== null || server.process.signalCode !== null) return;
    const exited = new Promise((resolve) => server.process.once('exit', resolve));
    server.process.kill('SIGTERM');
    await exited;
  };

  return {
    address: first.address,
    output: () => (current ?? first).output(),
    halt,
    async resume() {
      if (current) return;
      // A fresh startServer() run whose arguments point at the first run's port and data.
      current = await startServer({
        name: 'etcd',
        command,
        args: () => etcdArgs(port, peerPort, join(dir, 'data')),
        ready: () => isHealthy(port),
      });
      processes.unshift(current);
    },
    async stop() {
      await halt();
      for (const server of processes) await server.stop();
    },
  };
}
