/**
 * A real Redis (Debian's `redis-server`) for the end-to-end specs, on 127.0.0.1 with its data in a
 * temp directory and the append-only file synced on every write, so that `halt()` and `resume()`
 * stop and restart it on the same port with the same data (fencing counters included).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireBinary, startServer, type RunningServer } from './servers.js';
import type { EngineServer } from './failover-suite.js';

/** Resolves true when a `PING` on `port` answers `+PONG` (no client library: readiness only). */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (chunk: Buffer) => done(chunk.toString().startsWith('+PONG')));
  });
}

/** Starts Redis on a free loopback port with persistence in a fresh temp directory. */
export async function startRedis(): Promise<EngineServer> {
  const command = requireBinary({
    defaultPath: '/usr/bin/redis-server',
    envVar: 'REDIS_SERVER_PATH',
    pkg: 'redis-server',
  });
  const data = await mkdtemp(join(tmpdir(), 'rxmode-e2e-redis-data-'));
  const args = (port: number) => [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    data,
    '--save',
    '',
    '--appendonly',
    'yes',
    '--appendfsync',
    'always',
  ];
  let current: RunningServer | undefined;
  let port: number;
  try {
    current = await startServer({
      name: 'redis',
      command,
      args: (context) => args(context.port),
      ready: (context) => pings(context.port),
    });
    port = current.port;
  } catch (error) {
    await rm(data, { recursive: true, force: true });
    throw error;
  }
  let stopped = false;
  return {
    address: `127.0.0.1:${port}`,
    halt: async () => {
      await current?.stop();
      current = undefined;
    },
    resume: async () => {
      if (stopped) throw new Error('redis: resume() after stop()');
      if (current) return;
      // startServer picks a port of its own for each attempt; this server keeps the first one.
      current = await startServer({
        name: 'redis',
        command,
        args: () => args(port),
        ready: () => pings(port),
      });
    },
    stop: async () => {
      stopped = true;
      await current?.stop();
      current = undefined;
      await rm(data, { recursive: true, force: true });
    },
  };
}
