// Specs for lib/signal.ts: both signal kinds share most behaviour, so most suites run for each.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import sinon from 'sinon';
import { from } from 'rxjs';
import type { SignalReceiver } from '../lib/signal-types.js';
import { Signal, SyncSignal } from '../lib/signal.js';

type AnySignal<A extends unknown[]> = Signal<A> | SyncSignal<A>;

const kinds = [
  {
    kind: 'Signal',
    create: <A extends unknown[]>(name?: string) => new Signal<A>(name ? { name } : undefined),
  },
  {
    kind: 'SyncSignal',
    create: <A extends unknown[]>(name?: string) => new SyncSignal<A>(name ? { name } : undefined),
  },
] as const;

/** Sends and waits for the send to finish, whichever the kind; returns the error it raised, if any. */
async function sendAndCatch<A extends unknown[]>(
  signal: AnySignal<A>,
  sender: unknown,
  ...args: A
): Promise<unknown> {
  try {
    await signal.send(sender, ...args);
    return undefined;
  } catch (error) {
    return error;
  }
}

/** `#send()` behaviour only the async `Signal` has. */
function signalSendSpecs(): void {
  it('awaits each receiver before calling the next', async () => {
    const signal = new Signal<[]>();
    const calls: string[] = [];
    signal.connect(async () => {
      calls.push('slow:start');
      await new Promise((resolve) => setTimeout(resolve, 5));
      calls.push('slow:end');
    });
    signal.connect(() => calls.push('sync'));
    const sent = signal.send(null);
    calls.push('send returned');
    await sent;
    expect(calls).to.deep.equal(['slow:start', 'send returned', 'slow:end', 'sync']);
  });

  it('rejects with an AggregateError holding the reasons of rejected receivers', async () => {
    const signal = new Signal<[]>();
    const reason = new Error('rejected');
    const after = sinon.spy();
    signal.connect(() => Promise.reject(reason));
    signal.connect(after);
    const error = await sendAndCatch(signal, null);
    expect(after.calledOnce).to.equal(true);
    expect((error as AggregateError).errors).to.deep.equal([reason]);
  });
}

/** `#send()` behaviour only `SyncSignal` has. */
function syncSignalSendSpecs(): void {
  it('has called every receiver when it returns', () => {
    const signal = new SyncSignal<[number]>();
    let total = 0;
    signal.connect((_sender, n) => (total += n));
    signal.connect((_sender, n) => (total += n * 10));
    signal.send(null, 2);
    expect(total).to.equal(22);
  });

  it('throws synchronously after every receiver ran', () => {
    const signal = new SyncSignal<[]>();
    const after = sinon.spy();
    signal.connect(() => {
      throw new Error('boom');
    });
    signal.connect(after);
    expect(() => signal.send(null)).to.throw(AggregateError);
    expect(after.calledOnce).to.equal(true);
  });
}

for (const { kind, create } of kinds) {
  describe(kind, () => {
    describe('constructor', () => {
      it('is named after its class unless given a name', () => {
        expect(create().name).to.equal(kind);
        expect(create('saved').name).to.equal('saved');
      });

      it('rejects a name that is not a string, naming the option and the value', () => {
        const Ctor = kind === 'Signal' ? Signal : SyncSignal;
        expect(() => new Ctor({ name: 42 as unknown as string })).to.throw(TypeError, /name.*42/);
        expect(() => new Ctor('x' as never)).to.throw(TypeError, /options.*"x"/);
      });
    });

    describe('#connect()', () => {
      it('calls receivers in connection order with the sender first, then the arguments', async () => {
        const signal = create<[number, string]>();
        const calls: unknown[][] = [];
        signal.connect((...a) => calls.push(['first', ...a]));
        signal.connect((...a) => calls.push(['second', ...a]));
        const sender = { id: 'sender' };
        await signal.send(sender, 1, 'one');
        expect(calls).to.deep.equal([
          ['first', sender, 1, 'one'],
          ['second', sender, 1, 'one'],
        ]);
      });

      it('registers the same function for the same sender once', async () => {
        const signal = create<[]>();
        const fn = sinon.spy();
        const sender = {};
        signal.connect(fn);
        signal.connect(fn);
        signal.connect(fn, { sender });
        signal.connect(fn, { sender });
        await signal.send(sender);
        expect(fn.callCount).to.equal(2);
        await signal.send('someone else');
        expect(fn.callCount).to.equal(3);
      });

      it('runs a receiver connected with a sender only for sends from that very sender', async () => {
        const signal = create<[]>();
        const a = { name: 'a' };
        const lookalike = { name: 'a' };
        const forA = sinon.spy();
        const forAll = sinon.spy();
        signal.connect(forA, { sender: a });
        signal.connect(forAll);
        await signal.send(lookalike);
        await signal.send(undefined);
        expect(forA.called).to.equal(false);
        expect(forAll.callCount).to.equal(2);
        await signal.send(a);
        expect(forA.calledOnceWithExactly(a)).to.equal(true);
      });

      it('returns an idempotent disconnect function for that connection only', async () => {
        const signal = create<[]>();
        const fn = sinon.spy();
        const other = sinon.spy();
        const off = signal.connect(fn);
        signal.connect(fn, { sender: 's' });
        signal.connect(other);
        off();
        off();
        await signal.send('t');
        expect(fn.called).to.equal(false);
        expect(other.calledOnce).to.equal(true);
        await signal.send('s');
        expect(fn.calledOnceWithExactly('s')).to.equal(true);
      });

      it('calls a weakly held receiver while it is referenced, and a later strong connection keeps one', async () => {
        const signal = create<[]>();
        const fn = sinon.spy();
        signal.connect(fn, { weak: true });
        signal.connect(fn);
        await signal.send(null);
        expect(fn.callCount).to.equal(1);
        signal.disconnect(fn);
        await signal.send(null);
        expect(fn.callCount).to.equal(1);
      });

      it('rejects a receiver that is not a function and a malformed weak option', () => {
        const signal = create<[]>();
        expect(() => signal.connect('nope' as never)).to.throw(TypeError, /fn.*"nope"/);
        expect(() => signal.connect(() => {}, { weak: 'yes' as never })).to.throw(TypeError, /weak.*"yes"/);
        expect(() => signal.connect(() => {}, 3 as never)).to.throw(TypeError, /options.*3/);
      });
    });

    describe('#disconnect()', () => {
      it('removes the connection for the given sender only', async () => {
        const signal = create<[]>();
        const fn = sinon.spy();
        signal.connect(fn, { sender: 'a' });
        signal.connect(fn, { sender: 'b' });
        signal.disconnect(fn);
        signal.disconnect(fn, { sender: 'a' });
        signal.disconnect(() => {});
        await signal.send('a');
        await signal.send('b');
        expect(fn.args).to.deep.equal([['b']]);
      });

      it('lets a receiver disconnect itself during a send without skipping the others', async () => {
        const signal = create<[]>();
        const calls: string[] = [];
        const once: SignalReceiver<[]> = () => {
          calls.push('once');
          signal.disconnect(once);
        };
        signal.connect(once);
        signal.connect(() => calls.push('always'));
        await signal.send(null);
        await signal.send(null);
        expect(calls).to.deep.equal(['once', 'always', 'always']);
      });

      it('lets a send finish with the receivers it began with', async () => {
        const signal = create<[]>();
        const calls: string[] = [];
        const late = () => calls.push('late');
        const added = () => calls.push('added');
        signal.connect(() => {
          calls.push('first');
          signal.disconnect(late);
          signal.connect(added);
        });
        signal.connect(late);
        await signal.send(null);
        expect(calls).to.deep.equal(['first', 'late']);
        calls.length = 0;
        await signal.send(null);
        expect(calls).to.deep.equal(['first', 'added']);
      });

      it('rejects a receiver that is not a function', () => {
        expect(() => create<[]>().disconnect(null as never)).to.throw(TypeError, /fn.*null/);
      });
    });

    describe('#send()', () => {
      it('runs every receiver, then fails with one AggregateError even for a single failure', async () => {
        const signal = create<[]>('saved');
        const boom = new Error('boom');
        const after = sinon.spy();
        signal.connect(() => {
          throw boom;
        });
        signal.connect(after);
        const error = await sendAndCatch(signal, null);
        expect(after.calledOnce).to.equal(true);
        expect(error).to.be.instanceOf(AggregateError);
        expect((error as AggregateError).errors).to.deep.equal([boom]);
        expect((error as AggregateError).message).to.contain('"saved"');
      });

      it('collects every failure in connection order', async () => {
        const signal = create<[]>();
        const first = new Error('first');
        const second = new Error('second');
        signal.connect(() => {
          throw first;
        });
        signal.connect(() => {});
        signal.connect(() => {
          throw second;
        });
        const error = await sendAndCatch(signal, null);
        expect((error as AggregateError).errors).to.deep.equal([first, second]);
      });

      if (kind === 'Signal') signalSendSpecs();
      else syncSignalSendSpecs();
    });

    describe('#withDefaultSender()', () => {
      it('sends from its sender and connects for its sender, sharing the receivers', async () => {
        const signal = create<[number]>();
        const owner = { id: 'owner' };
        const view = signal.withDefaultSender(owner);
        const everyone = sinon.spy();
        const mine = sinon.spy();
        signal.connect(everyone);
        const { send, connect } = view;
        connect(mine);
        await Promise.resolve(send(1));
        await signal.send('stranger', 2);
        expect(everyone.args).to.deep.equal([
          [owner, 1],
          ['stranger', 2],
        ]);
        expect(mine.args).to.deep.equal([[owner, 1]]);
        expect(view.sender).to.equal(owner);
      });

      it('disconnects the connection made for its sender', async () => {
        const signal = create<[]>();
        const view = signal.withDefaultSender('owner');
        const fn = sinon.spy();
        view.connect(fn);
        signal.connect(fn);
        view.disconnect(fn);
        await Promise.resolve(view.send());
        expect(fn.callCount).to.equal(1);
        await signal.send('stranger');
        expect(fn.callCount).to.equal(2);
      });
    });

    describe('#clone()', () => {
      it('starts with a copy of the receivers and then lives independently', async () => {
        const signal = create<[]>('original');
        const shared = sinon.spy();
        const onlyOriginal = sinon.spy();
        const onlyClone = sinon.spy();
        signal.connect(shared);
        const copy = signal.clone();
        expect(copy).to.be.instanceOf(kind === 'Signal' ? Signal : SyncSignal);
        expect(copy.name).to.equal('original');
        signal.connect(onlyOriginal);
        copy.connect(onlyClone);
        signal.disconnect(shared);
        await copy.send('clone');
        expect(shared.args).to.deep.equal([['clone']]);
        expect(onlyOriginal.called).to.equal(false);
        expect(onlyClone.calledOnce).to.equal(true);
      });
    });

    describe('as an Observable', () => {
      it('emits { sender, args } per send through rxjs from() until unsubscribed', async () => {
        const signal = create<[number, string]>();
        const seen: unknown[] = [];
        // Typed end to end: `args` is [number, string] here, not unknown.
        const subscription = from(signal).subscribe(({ sender, args: [n, text] }) =>
          seen.push({ sender, args: [n.toFixed(1), text.toUpperCase()] }),
        );
        const other = signal.subscribe((value) => seen.push(['direct', value.args[0]]));
        await signal.send('s', 1, 'x');
        subscription.unsubscribe();
        await signal.send('s', 2, 'y');
        other.unsubscribe();
        await signal.send('s', 3, 'z');
        expect(seen).to.deep.equal([{ sender: 's', args: ['1.0', 'X'] }, ['direct', 1], ['direct', 2]]);
      });
    });
  });
}

describe('weak receivers', () => {
  it('are dropped once garbage-collected, while strong and referenced ones keep running', function () {
    this.timeout(30_000);
    const fixture = fileURLToPath(new URL('./fixtures/weak-signal.ts', import.meta.url));
    const output = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', fixture], {
      encoding: 'utf8',
    });
    const result = JSON.parse(output.trim().split('\n').pop() as string);
    expect(result).to.deep.equal({
      sync: ['kept:1', 'strong:1', 'dropped:1', 'upgraded:1', 'kept:2', 'strong:2', 'upgraded:2'],
      async: ['kept:1', 'strong:1', 'dropped:1', 'upgraded:1', 'kept:2', 'strong:2', 'upgraded:2'],
      collected: true,
    });
  });
});
