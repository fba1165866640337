/**
 * `etcdLease` against a real etcd 3.4 (Debian's `etcd-server`): terms, tokens, waiting and release,
 * aborts, engine errors, an etcd that goes away under a held term and comes back, and what a term
 * leaves behind (in etcd, and in the process). A missing etcd fails the spec with the install line.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ClientClosedError, Etcd3, GRPCUnavailableError } from 'etcd3';
import type { Lease, LeaseTerm } from '../../lib/lease.js';
import { etcdLease } from '../../lib/lease/etcd/index.js';
import { LeaseLostError } from '../../lib/lease/term.js';
import etcd from './fixtures/engines/etcd.js';
import { startEtcd } from './support/etcd.js';
import type { EngineServer } from './support/failover-suite.js';
import { settledWithin, sleep } from './support/timing.js';

/** etcd's own minimum with its default election timeout: renewals every 667 ms, trusted 1.6 s. */
const TTL = 2_000;

/** Resolves once `check()` holds, polling every 50 ms; fails after `ms`. */
async function eventually(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(50);
  }
}

/** The figures the report quotes, printed after the spec. */
const figures: Record<string, string> = {};

describe('etcdLease against a real etcd', function () {
  let server: EngineServer | undefined;
  const clients: Etcd3[] = [];
  let counter = 0;

  before(async () => {
    server = await startEtcd();
  });

  after(async () => {
    await server?.stop();
    if (Object.keys(figures).length > 0) console.log('    measured:', JSON.stringify(figures));
  });

  afterEach(async () => {
    await server?.resume(); // a failed outage test must not leave etcd down for the next one
    for (const client of clients.splice(0)) client.close();
  });

  /** A client configured as the failover suite's, closed after the test. */
  async function connect(): Promise<Etcd3> {
    const client = await etcd.connect(server!.address);
    clients.push(client);
    return client;
  }

  /** A lease name no other test uses. */
  const fresh = (): string => `lease-${++counter}`;

  /** Calls etcd's JSON gateway (not the client under test). */
  async function gateway<T>(path: string, body: unknown): Promise<T> {
    const answer = await fetch(`http://${server!.address}${path}`, {
      method: 'POST',
      body: JSON.stringify(body),
    });
    return (await answer.json()) as T;
  }

  /** The ids of the etcd leases that exist now. */
  async function leaseIds(): Promise<string[]> {
    const { leases = [] } = await gateway<{ leases?: { ID: string }[] }>('/v3/lease/leases', {});
    return leases.map((lease) => lease.ID);
  }

  /** How many watchers etcd serves now (its own gauge). */
  async function watchers(): Promise<number> {
    const metrics = await (await fetch(`http://${server!.address}/metrics`)).text();
    return Number(/^etcd_debugging_mvcc_watcher_total (\d+)/m.exec(metrics)?.[1]);
  }

  /** The candidate keys of lease `name` (default key), oldest first. */
  async function candidates(client: Etcd3, name: string) {
    const result = await client.getAll().prefix(`rxmode/lease/${name}/`).sort('Create', 'Ascend').exec();
    return result.kvs.map((kv) => ({
      key: kv.key.toString(),
      createRevision: kv.create_revision,
      leaseId: BigInt(kv.lease).toString(),
    }));
  }

  const acquire = (lease: Lease, signal = new AbortController().signal): Promise<LeaseTerm> =>
    lease.acquire(signal);

  it('grants a term whose token is its candidate key’s create revision; release() revokes the lease and deletes the key', async () => {
    const client = await connect();
    const name = fresh();
    const term = await acquire(etcdLease(client, { name, ttl: TTL }));
    expect(term.token).to.match(/^[1-9]\d*$/);
    const [held, ...others] = await candidates(client, name);
    expect(others).to.deep.equal([]);
    expect(held!.createRevision).to.equal(term.token);
    expect(held!.key).to.equal(`rxmode/lease/${name}/${BigInt(held!.leaseId).toString(16)}`);
    expect(await leaseIds()).to.include(held!.leaseId);

    await term.release();
    expect(await candidates(client, name)).to.deep.equal([]);
    expect(await leaseIds()).to.not.include(held!.leaseId);
    expect(await settledWithin(term.lost, 200)).to.equal('pending');
  });

  it('asks etcd for the ttl rounded up to whole seconds and keeps the term past it by renewing', async () => {
    const client = await connect();
    const name = fresh();
    const term = await acquire(etcdLease(client, { name, ttl: '2500ms' }));
    const [held] = await candidates(client, name);
    const live = await gateway<{ grantedTTL: string }>('/v3/lease/timetolive', { ID: held!.leaseId });
    expect(live.grantedTTL).to.equal('3');

    await sleep(4_000); // longer than the ttl: only renewals keep the lease
    expect(await settledWithin(term.lost, 0)).to.equal('pending');
    const after = await gateway<{ TTL: string }>('/v3/lease/timetolive', { ID: held!.leaseId });
    expect(Number(after.TTL)).to.be.greaterThan(0);
    expect((await candidates(client, name)).map((c) => c.key)).to.deep.equal([held!.key]);
    await term.release();
  });

  it('makes a second acquire wait while the first holds, and grants it at once after release()', async () => {
    const name = fresh();
    const first = etcdLease(await connect(), { name, ttl: TTL });
    const second = etcdLease(await connect(), { name, ttl: TTL });
    const term = await acquire(first);
    const waiting = acquire(second);
    expect(await settledWithin(waiting, TTL * 1.5)).to.equal('pending'); // past the ttl: the holder renews

    const releasedAt = performance.now();
    await term.release();
    const next = await waiting;
    const handover = performance.now() - releasedAt;
    figures['release → next acquire (ms)'] = handover.toFixed(0);
    expect(handover).to.be.below(1_000);
    expect(BigInt(next.token) > BigInt(term.token)).to.equal(true);
    expect(await settledWithin(term.lost, 0)).to.equal('pending');
    await next.release();
  });

  it('gives every term a greater token than the terms before it', async () => {
    const name = fresh();
    const a = await connect();
    const b = await connect();
    const leases = [etcdLease(a, { name, ttl: TTL }), etcdLease(b, { name, ttl: TTL })];
    const tokens: bigint[] = [];
    for (let i = 0; i < 6; i++) {
      const term = await acquire(leases[i % 2]!);
      tokens.push(BigInt(term.token));
      await a.put(`unrelated/${i}`).value('moves the revision on'); // other writes between terms
      await term.release();
    }
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]! > tokens[i - 1]!, `term ${i}`).to.equal(true);
  });

  it('rejects bad options with a TypeError naming the option and the value', async () => {
    const client = await connect();
    const cases: [unknown, unknown, RegExp][] = [
      [client, undefined, /options must be an object/],
      [client, {}, /options\.name .*undefined/],
      [client, { name: '' }, /options\.name .*""/],
      [client, { name: 'x', key: '' }, /options\.key .*""/],
      [client, { name: 'x', ttl: 0 }, /options\.ttl .*0/],
      [client, { name: 'x', ttl: 100 }, /options\.ttl must be at least 300 ms; received 100/],
      [client, { name: 'x', ttl: 'soon' }, /options\.ttl .*"soon"/],
      [client, { name: 'x', lease: 5 }, /unknown option lease \(5\)/],
      [undefined, { name: 'x' }, /client must be an etcd3 client .*undefined/],
      [{ put: () => undefined }, { name: 'x' }, /client must be an etcd3 client .*\{\}/],
      ['127.0.0.1:2379', { name: 'x' }, /client must be an etcd3 client .*"127\.0\.0\.1:2379"/],
    ];
    for (const [candidate, options, message] of cases) {
      const make = () => etcdLease(candidate as Etcd3, options as { name: string });
      expect(make, JSON.stringify(options)).to.throw(TypeError, message);
      expect(make).to.throw(/^etcdLease: /);
    }
  });

  it('rejects at once with signal.reason when the signal is aborted already, granting nothing', async () => {
    const client = await connect();
    const before = await leaseIds();
    const reason = new Error('no longer wanted');
    const lease = etcdLease(client, { name: fresh(), ttl: TTL });
    const outcome = await settledWithin(lease.acquire(AbortSignal.abort(reason)), 100);
    expect(outcome).to.deep.equal({ error: reason });
    await sleep(200);
    expect(await leaseIds()).to.have.members(before);
  });

  it('rejects with signal.reason when aborted while waiting, leaving no key, lease or watcher behind', async () => {
    const name = fresh();
    const holder = await connect();
    const other = await connect();
    const term = await acquire(etcdLease(holder, { name, ttl: TTL }));
    const heldLeases = await leaseIds();
    expect(await watchers()).to.equal(0);

    const controller = new AbortController();
    const waiting = acquire(etcdLease(other, { name, ttl: TTL }), controller.signal);
    await eventually(async () => (await watchers()) === 1, 5_000, 'the waiting acquire watches the holder');
    expect(await candidates(holder, name)).to.have.length(2);

    const reason = new Error('stopping');
    const abortedAt = performance.now();
    controller.abort(reason);
    expect(await settledWithin(waiting, 2_000)).to.deep.equal({ error: reason });
    figures['abort → acquire rejected (ms)'] = (performance.now() - abortedAt).toFixed(0);
    expect((await candidates(holder, name)).map((c) => c.createRevision)).to.deep.equal([term.token]);
    expect(await leaseIds()).to.have.members(heldLeases);
    await eventually(async () => (await watchers()) === 0, 5_000, 'the watcher is cancelled');

    // Nothing of the aborted candidate stands in line: a third client takes over at once.
    const third = etcdLease(await connect(), { name, ttl: TTL });
    const next = acquire(third);
    await term.release();
    expect(await settledWithin(next, 1_000)).to.have.property('value');
    await (await next).release();
  });

  it('gives back whatever it got when the signal aborts at any point of an acquire', async () => {
    const name = fresh();
    const client = await connect();
    const holder = await connect();
    const before = await leaseIds();
    const outcomes = { granted: 0, rejected: 0 };
    for (let i = 0; i < 40; i++) {
      // Every fourth round another client holds the lease, so that the abort also meets the wait.
      const held = i % 4 === 3 ? await acquire(etcdLease(holder, { name, ttl: TTL })) : undefined;
      const controller = new AbortController();
      const reason = new Error(`abort ${i}`);
      const attempt = acquire(etcdLease(client, { name, ttl: TTL }), controller.signal);
      setTimeout(() => controller.abort(reason), Math.floor(Math.random() * 25));
      const outcome = await settledWithin(attempt, 5_000);
      if (outcome !== 'pending' && 'value' in outcome) {
        outcomes.granted++;
        await outcome.value.release(); // granted before the abort: the caller owns it
      } else {
        expect(outcome, `round ${i}`).to.deep.equal({ error: reason });
        outcomes.rejected++;
      }
      await held?.release();
    }
    expect(outcomes.rejected).to.be.greaterThan(0);
    expect(await candidates(client, name)).to.deep.equal([]);
    expect(await leaseIds()).to.have.members(before);
    await eventually(async () => (await watchers()) === 0, 5_000, 'every watcher is cancelled');
    figures['aborts at random points: outcomes'] = JSON.stringify(outcomes);
  });

  it('settles lost at the next renewal when etcd revokes the lease', async () => {
    const client = await connect();
    const name = fresh();
    const term = await acquire(etcdLease(client, { name, ttl: TTL }));
    const [held] = await candidates(client, name);
    await gateway('/v3/lease/revoke', { ID: held!.leaseId }); // as an operator, or etcd's own expiry
    const outcome = await settledWithin(term.lost, TTL);
    expect(outcome).to.have.property('value').that.is.instanceOf(LeaseLostError);
    await term.release(); // nothing left to give up: resolves
  });

  it('settles lost within the ttl when etcd is halted, and grants the lease again once etcd is back', async function () {
    this.timeout(60_000);
    const name = fresh();
    const holder = await connect();
    const other = await connect();
    const term = await acquire(etcdLease(holder, { name, ttl: TTL }));
    const otherLease = etcdLease(other, { name, ttl: TTL });
    const waiting = acquire(otherLease);
    await eventually(async () => (await watchers()) === 1, 5_000, 'the second client waits');

    const haltedAt = performance.now();
    await server!.halt();
    const lost = await settledWithin(term.lost, TTL + 1_000);
    const haltToLost = performance.now() - haltedAt;
    figures['halt → lost (ms)'] = haltToLost.toFixed(0);
    expect(lost).to.have.property('value').that.is.instanceOf(LeaseLostError);
    expect(haltToLost).to.be.at.most(TTL + 500);
    // The waiting client's candidate lease cannot be renewed either: its acquire fails, it does not hang.
    const failed = await settledWithin(waiting, TTL + 1_000);
    expect(failed).to.have.property('error').that.is.instanceOf(LeaseLostError);

    await server!.resume();
    const resumedAt = performance.now();
    // etcd restores the leases it had with their full ttl plus an election timeout (1 s) when it
    // restarts: the new candidate waits for the two old ones to expire.
    const next = await acquire(otherLease);
    const resumeToAcquire = performance.now() - resumedAt;
    figures['etcd answering again → next acquire (ms)'] = resumeToAcquire.toFixed(0);
    expect(resumeToAcquire).to.be.below(TTL + 1_000 + 2_000);
    expect(BigInt(next.token) > BigInt(term.token)).to.equal(true);
    await next.release();
    await term.release(); // a lost term: resolves, gives nothing up twice
  });

  it('rejects acquire() with the engine’s error while etcd is down, or when the client was closed', async function () {
    this.timeout(60_000);
    const client = await connect();
    const lease = etcdLease(client, { name: fresh(), ttl: TTL });
    await server!.halt();
    const down = await settledWithin(acquire(lease), 10_000);
    expect(down).to.have.property('error').that.is.instanceOf(GRPCUnavailableError);
    await server!.resume();

    const closed = await connect();
    closed.close();
    const outcome = await settledWithin(acquire(etcdLease(closed, { name: fresh(), ttl: TTL })), 5_000);
    expect(outcome).to.have.property('error').that.is.instanceOf(ClientClosedError);
  });

  it('release() is idempotent: every call resolves with the first one’s outcome, and lost never settles', async () => {
    const client = await connect();
    const name = fresh();
    const term = await acquire(etcdLease(client, { name, ttl: TTL }));
    const first = term.release();
    expect(term.release()).to.equal(first);
    await first;
    await term.release();
    expect(await candidates(client, name)).to.deep.equal([]);
    expect(await settledWithin(term.lost, TTL)).to.equal('pending');
  });

  it('leaves nothing running: a process that used the lease and closed its client exits by itself', async function () {
    this.timeout(60_000);
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const module = (path: string) => JSON.stringify(pathToFileURL(`${root}${path}`).href);
    // Terms released, lost and aborted, then the client closed: no timer, socket or watcher may keep it alive.
    const script = `
      const { etcdLease } = await import(${module('lib/lease/etcd/index.ts')});
      const { default: etcd } = await import(${module('spec/e2e/fixtures/engines/etcd.ts')});
      const address = process.env.ETCD_ADDRESS;
      const client = await etcd.connect(address);
      const lease = etcdLease(client, { name: 'exits', ttl: 2000 });
      const first = await lease.acquire(new AbortController().signal);
      const controller = new AbortController();
      const waiting = lease.acquire(controller.signal).catch((error) => error);
      await new Promise((resolve) => setTimeout(resolve, 300));
      controller.abort(new Error('aborted'));
      if ((await waiting).message !== 'aborted') throw new Error('the abort did not reject');
      await first.release();
      const second = await lease.acquire(new AbortController().signal);
      const [kv] = (await client.getAll().prefix('rxmode/lease/exits/').exec()).kvs;
      await fetch('http://' + address + '/v3/lease/revoke', { method: 'POST', body: JSON.stringify({ ID: kv.lease }) });
      const awake = setInterval(() => undefined, 1000); // the term's own timers are unref'd
      await second.lost;
      clearInterval(awake);
      await etcd.close(client);
      console.log('done');
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      env: { ...process.env, ETCD_ADDRESS: server!.address },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const outcome = await settledWithin(exit, 20_000);
    if (outcome === 'pending') child.kill('SIGKILL');
    expect(outcome, output).to.deep.equal({ value: 0 });
    expect(output).to.contain('done');
  });
});
