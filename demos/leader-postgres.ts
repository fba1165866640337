/**
 * Two replicas of one job on one PostgreSQL database, each a LeaderService over `postgresLease`.
 * The leader's child writes rows carrying its fencing token; the table refuses a token older than
 * the newest it has seen. The leader's session is then killed (as a network cut would), a new term
 * begins on whichever replica acquires first, and a late write with the first term's token, as a
 * paused process would make it on waking, is refused.
 *
 *   PG_URL=postgres://user:password@localhost:5432/db npx tsx demos/leader-postgres.ts
 *
 * It needs PostgreSQL 14 or later and a role that may create tables and call pg_terminate_backend()
 * on its own sessions. It creates `rxmode_lease_terms`, `rxmode_demo_fence` and `rxmode_demo_writes`
 * and leaves them there; it starts no server itself. Ends by itself in about three seconds.
 */
import pg from 'pg';
import { LeaderService, Service } from '../lib/index.js';
import { postgresLease } from '../lib/lease/postgres/index.js';

const url = process.env.PG_URL;
if (!url) {
  console.error(
    'Set PG_URL to a PostgreSQL database, e.g. PG_URL=postgres://postgres@localhost:5432/postgres',
  );
  process.exit(2);
}

const began = performance.now();
const log = (line: string) =>
  console.log(`${((performance.now() - began) / 1000).toFixed(2).padStart(5)}s  ${line}`);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Moves the fence to `token` unless a newer token has been seen, and writes the row only then: one
 * statement, so a stale writer can never slip in between the check and the write.
 */
const FENCED_WRITE = `
  WITH fence AS (
    INSERT INTO rxmode_demo_fence AS f (name, token) VALUES ('outbox', $1::bigint)
    ON CONFLICT (name) DO UPDATE SET token = EXCLUDED.token WHERE f.token <= EXCLUDED.token
    RETURNING token
  )
  INSERT INTO rxmode_demo_writes (replica, token) SELECT $2, token FROM fence RETURNING id`;

async function write(pool: pg.Pool, replica: string, token: string): Promise<boolean> {
  const { rowCount } = await pool.query(FENCED_WRITE, [token, replica]);
  return rowCount === 1;
}

/** The job that must run on one replica only: writes a row every 250 ms with the leader's token. */
class Writer extends Service {
  constructor(
    readonly replica: string,
    readonly leader: LeaderService,
    readonly pool: pg.Pool,
  ) {
    super({ name: 'Writer' });
  }

  protected override async run(): Promise<void> {
    while (!this.shouldStop) {
      const token = this.leader.fencingToken;
      if (token !== undefined) {
        const accepted = await write(this.pool, this.replica, token);
        log(`${this.replica} writes with token ${token}: ${accepted ? 'accepted' : 'REFUSED'}`);
      }
      await this.sleep('250ms');
    }
  }
}

/** One replica: its own pool, a LeaderService on the shared lease, the Writer under it. */
function replica(name: string) {
  const pool = new pg.Pool({ connectionString: url, application_name: `rxmode-demo-${name}`, max: 3 });
  pool.on('error', () => {}); // idle connections cut by the server; the pool reconnects on next use
  const leader = new LeaderService(postgresLease(pool, { name: 'demo-outbox', ttl: '2s' }), {
    name: `Replica ${name}`,
  });
  leader.addDependency(new Writer(name, leader, pool));
  leader.leader$.subscribe((leading) =>
    log(`${name} ${leading ? `leads (token ${leader.fencingToken})` : 'follows'}`),
  );
  return { name, pool, leader };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await pause(20);
}

const admin = new pg.Pool({ connectionString: url, max: 1 });
await admin.query(
  `CREATE TABLE IF NOT EXISTS rxmode_demo_fence (name text PRIMARY KEY, token bigint NOT NULL)`,
);
await admin.query(`CREATE TABLE IF NOT EXISTS rxmode_demo_writes
  (id bigserial PRIMARY KEY, replica text NOT NULL, token bigint NOT NULL, at timestamptz NOT NULL DEFAULT now())`);
await admin.query('TRUNCATE rxmode_demo_writes');

const replicas = [replica('A'), replica('B')];
await Promise.all(replicas.map((r) => r.leader.start()));
await until(() => replicas.some((r) => r.leader.isLeader));
await pause(1000);

const first = replicas.find((r) => r.leader.isLeader)!;
const firstToken = first.leader.fencingToken;
log(`${first.name}'s database session is killed: its advisory lock goes with it`);
await admin.query(
  `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
    WHERE application_name = $1 AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)`,
  [`rxmode-demo-${first.name}`],
);
// Whichever replica acquires first holds the next term (the one that lost competes again too).
const leadsAnew = () => replicas.some((r) => r.leader.isLeader && r.leader.fencingToken !== firstToken);
await until(leadsAnew);
await pause(1000);

log(`${first.name}, as if it woke from a pause in its first term, writes with its old token ${firstToken}`);
const accepted = await write(first.pool, `${first.name} (late)`, firstToken!);
log(`${first.name}'s late write with token ${firstToken}: ${accepted ? 'accepted' : 'REFUSED'}`);

await Promise.all(replicas.map((r) => r.leader.stop()));
const { rows } = await admin.query<{ replica: string; token: string; n: string }>(
  `SELECT replica, token::text, count(*)::text AS n FROM rxmode_demo_writes GROUP BY replica, token ORDER BY token`,
);
console.log('\nrows written, by replica and token:');
for (const row of rows) console.log(`  ${row.replica}  token ${row.token}  ${row.n} rows`);
await Promise.all([admin, ...replicas.map((r) => r.pool)].map((pool) => pool.end()));
