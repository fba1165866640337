// Specs for lib/internal/format.ts: the one value formatter behind every "received …" TypeError and
// every message that names a thrown value (crash reasons, stop failures, run() results).
import { expect } from 'chai';
import { show } from '../../lib/internal/format.js';
import { InvalidRunError, ServiceCrashedError, parseDuration } from '../../lib/index.js';

const ref = { id: '1', name: 'Api', path: 'Api' };

describe('show()', () => {
  const cases: [string, unknown, string][] = [
    ['quotes strings', '5 sec', '"5 sec"'],
    ['prints numbers as String() does', -1, '-1'],
    ['prints NaN', NaN, 'NaN'],
    ['prints booleans', true, 'true'],
    ['prints null', null, 'null'],
    ['prints undefined', undefined, 'undefined'],
    ['suffixes bigints', 10n, '10n'],
    ['prints symbols with their description', Symbol('tick'), 'Symbol(tick)'],
    ['names functions', function onStart() {}, 'function onStart'],
    ['marks anonymous functions', (() => () => {})(), 'function (anonymous)'],
    ['reads errors as Name: message', new TypeError('boom'), 'TypeError: boom'],
    ['renders plain objects as JSON', { weak: 'yes' }, '{"weak":"yes"}'],
    ['renders arrays as JSON', [1, 'a'], '[1,"a"]'],
    ['renders an empty plain object as {}', {}, '{}'],
    ['names a Map by its tag rather than an empty {}', new Map([[1, 2]]), '[object Map]'],
    ['names a promise by its tag', Promise.resolve(), '[object Promise]'],
  ];
  for (const [what, value, expected] of cases) {
    it(what, () => {
      expect(show(value)).to.equal(expected);
    });
  }

  it('names an object JSON cannot render (a cycle) by its tag', () => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(show(loop)).to.equal('[object Object]');
  });

  it('never throws, even for a value whose every rendering throws', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(show(proxy)).to.equal('object');
  });

  it('is the formatter behind the error messages', () => {
    expect(new ServiceCrashedError(ref, new Error('disk full')).message).to.equal(
      'Api crashed: Error: disk full',
    );
    expect(new InvalidRunError(ref, 42).message).to.equal('Api: run() returned 42, not an ObservableInput');
    expect(() => parseDuration('soon' as never)).to.throw(TypeError, /received "soon"$/);
  });
});
