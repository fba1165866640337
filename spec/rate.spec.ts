// Specs for lib/rate.ts: rate strings and numbers become events per second; bad input is named.
import { expect } from 'chai';
import { parseRate, type Rate } from '../lib/rate.js';

describe('parseRate()', () => {
  it('turns per-second, per-minute and per-hour strings into events per second', () => {
    expect(parseRate('100/s')).to.equal(100);
    expect(parseRate('10/m')).to.be.closeTo(1 / 6, 1e-12);
    expect(parseRate('5/h')).to.be.closeTo(5 / 3600, 1e-12);
    expect(parseRate('0.5/s')).to.equal(0.5);
    expect(parseRate(' 3 / m ' as Rate)).to.equal(0.05);
  });

  it('takes numbers as events per second', () => {
    expect(parseRate(2.5)).to.equal(2.5);
  });

  it('rejects zero, negative, non-finite and malformed rates with a TypeError naming the value', () => {
    const bad: unknown[] = [
      0,
      -1,
      NaN,
      Infinity,
      '0/s',
      '-1/s',
      '10',
      '10/d',
      '10/ms',
      's/10',
      '',
      null,
      undefined,
      {},
    ];
    for (const value of bad) {
      expect(() => parseRate(value as Rate), String(value)).to.throw(TypeError, /^rate must be/);
    }
    expect(() => parseRate('10/d' as Rate)).to.throw(TypeError, /received "10\/d"/);
  });

  it('names the option it was given in the error', () => {
    expect(() => parseRate(-2, 'limits.rate')).to.throw(TypeError, /^limits\.rate must be .*received -2$/);
  });
});
