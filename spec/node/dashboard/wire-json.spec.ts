/**
 * Lifecycle data on the wire: errors keep what a reader needs, and nothing makes JSON.stringify
 * throw or silently drop a value.
 */
import { expect } from 'chai';
import { toWire, wireJSON } from '../../../lib/node/dashboard/wire-json.js';

describe('toWire()', () => {
  it('turns errors anywhere inside into name, message, stack, code, fields and cause', () => {
    const cause = new RangeError('port out of range');
    const error = Object.assign(new Error('listen failed', { cause }), { code: 'E_LISTEN', port: 70000 });
    const wire = toWire({ type: 'crash', reason: { type: 'crash', error } }) as {
      reason: { error: Record<string, unknown> };
    };
    expect(wire.reason.error).to.deep.equal({
      name: 'Error',
      message: 'listen failed',
      stack: error.stack,
      code: 'E_LISTEN',
      port: 70000,
      cause: { name: 'RangeError', message: 'port out of range', stack: cause.stack },
    });
  });

  it("keeps an AggregateError's errors and a subclass's name", () => {
    class StopError extends Error {
      override name = 'StopError';
    }
    const wire = toWire(new AggregateError([new StopError('a'), 'b'], 'two failures')) as Record<
      string,
      unknown
    >;
    expect(wire).to.deep.include({ name: 'AggregateError', message: 'two failures' });
    expect(wire.errors).to.deep.equal([
      { name: 'StopError', message: 'a', stack: (wire.errors as { stack: string }[])[0]!.stack },
      'b',
    ]);
  });

  it('renders cycles, bigints, functions, symbols, deep nesting and failing toJSON instead of throwing', () => {
    const loop: Record<string, unknown> = { n: 1n };
    loop.self = loop;
    const error = new Error('cyclic') as Error & { again?: unknown };
    error.again = error;
    let deep: unknown = 'bottom';
    for (let i = 0; i < 20; i++) deep = { deep };
    const wire = toWire({
      loop,
      error,
      fn: function work() {},
      sym: Symbol('s'),
      deep,
      bad: {
        toJSON: () => {
          throw new Error('nope');
        },
      },
      shared: [loop, loop],
    }) as Record<string, any>;
    expect(wire.loop).to.deep.equal({ n: '1n', self: '[Circular]' });
    expect(wire.error.again).to.equal('[Circular]');
    expect(wire.fn).to.match(/^function work/);
    expect(wire.sym).to.equal('Symbol(s)');
    expect(JSON.stringify(wire.deep)).to.include('"[…]"');
    expect(wire.bad).to.equal('[toJSON failed: nope]');
    expect(wire.shared).to.deep.equal([
      { n: '1n', self: '[Circular]' },
      { n: '1n', self: '[Circular]' },
    ]);
    expect(() => wireJSON({ loop, error })).to.not.throw();
  });

  it('writes one line of JSON, even for messages and stacks with newlines', () => {
    const line = wireJSON({ error: new Error('line one\nline two') });
    expect(line).to.not.include('\n');
    expect((JSON.parse(line) as { error: { message: string } }).error.message).to.equal('line one\nline two');
    expect(wireJSON(undefined)).to.equal('null');
  });
});
