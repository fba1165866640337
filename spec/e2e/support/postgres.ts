/**
 * A real PostgreSQL server for the end-to-end specs (Debian's `postgresql` package): a fresh cluster
 * in a temp directory, on 127.0.0.1 at a free port, trusted local logins as `postgres`. It can be
 * halted and resumed on the same port and data, to play an engine outage under running clients.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { requireBinary, startServer, type RunningServer } from './servers.js';

/** A PostgreSQL server started by {@link startPostgres}. */
export interface PostgresServer {
  /** `127.0.0.1:<port>`, the same across {@link halt} and {@link resume}. */
  readonly address: string;
  readonly port: number;
  /** What `pg.Client` and `pg.Pool` need to log in (user `postgres`, database `postgres`, no password). */
  readonly connection: {
    readonly host: string;
    readonly port: number;
    readonly user: string;
    readonly database: string;
  };
  /** Everything the server wrote to its log so far, across restarts. */
  output(): string;
  /** Stops the server (a fast shutdown: sessions are ended) and keeps its port and data. */
  halt(): Promise<void>;
  /** Starts it again on the same port and data; resolves once it accepts queries. */
  resume(): Promise<void>;
  /** Stops it and removes its data; safe to call twice. */
  stop(): Promise<void>;
}

const run = promisify(execFile);

/** The uid and gid to run the server as: `postgres` when this process is root (PostgreSQL refuses root). */
function serverOwner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Resolves true once a login on `port` can run a query. */
async function answers(port: number): Promise<boolean> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Creates a cluster with `initdb` and starts `postgres` on a free loopback port; resolves once it
 * accepts queries. A missing binary fails with the `apt-get install` line.
 */
export async function startPostgres(): Promise<PostgresServer> {
  const postgres = requireBinary({
    defaultPath: '/usr/lib/postgresql/15/bin/postgres',
    envVar: 'POSTGRES_PATH',
    pkg: 'postgresql',
  });
  const owner = serverOwner();
  const root = await mkdtemp(join(tmpdir(), 'rxmode-e2e-postgres-'));
  const data = join(root, 'data');
  let current: RunningServer | undefined;
  let port: number | undefined;
  const logs: string[] = [];
  try {
    if (owner) await chown(root, owner.uid, owner.gid);
    const initdb = join(dirname(postgres), 'initdb');
    await run(initdb, ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync'], { ...owner });

    const launch = () =>
      startServer({
        name: 'postgres',
        command: postgres,
        args: (context) => [
          ...['-D', data, '-p', String(port ?? context.port), '-k', root],
          ...['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'shared_buffers=16MB'],
        ],
        ready: (context) => answers(port ?? context.port),
        // SIGINT is the fast shutdown: it ends open sessions, where SIGTERM waits for them.
        shutdown: async (server) => void server.process.kill('SIGINT'),
        spawnOptions: { ...owner },
      });
    current = await launch();
    port = current.port;

    const halt = async () => {
      const server = current;
      current = undefined;
      if (!server) return;
      await server.stop();
      logs.push(server.output());
    };
    let stopping: Promise<void> | undefined;
    return {
      address: `127.0.0.1:${port}`,
      port,
      connection: { host: '127.0.0.1', port, user: 'postgres', database: 'postgres' },
      output: () => logs.join('') + (current?.output() ?? ''),
      halt,
      resume: async () => {
        if (current) return;
        current = await launch();
      },
      stop: () =>
        (stopping ??= (async () => {
          await halt();
          await rm(root, { recursive: true, force: true });
        })()),
    };
  } catch (error) {
    await current?.stop();
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}
