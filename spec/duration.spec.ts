// Specs for parseDuration and humanizeDuration (API.md section 7 and the units paragraph): duration
// strings and numbers, TypeErrors naming the option and the value, and the human-readable format.
import { expect } from 'chai';
import { Service, humanizeDuration, parseDuration } from '../lib/index.js';

describe('parseDuration()', () => {
  const cases: [Parameters<typeof parseDuration>[0], number][] = [
    ['250ms', 250],
    ['1.5s', 1500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['0s', 0],
    [0, 0],
    [42, 42],
    [2.5, 2.5],
  ];
  for (const [input, ms] of cases) {
    it(`reads ${JSON.stringify(input)} as ${ms} ms`, () => {
      expect(parseDuration(input)).to.equal(ms);
    });
  }

  const invalid: [unknown, string][] = [
    ['5 sec', '"5 sec"'],
    [-1, '-1'],
    [NaN, 'NaN'],
    [Infinity, 'Infinity'],
    ['10', '"10"'],
    ['', '""'],
    ['1.5 s x', '"1.5 s x"'],
    [null, 'null'],
  ];
  for (const [input, shown] of invalid) {
    it(`throws a TypeError naming the option and the value for ${shown}`, () => {
      let error: unknown;
      try {
        parseDuration(input as any, 'stopTimeout');
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(TypeError);
      expect((error as TypeError).message)
        .to.include('stopTimeout')
        .and.include(shown);
    });
  }

  it("names the option 'duration' when none is given", () => {
    expect(() => parseDuration('soon' as any)).to.throw(TypeError, /duration.*"soon"/);
  });

  it('is what validates the duration options of a Service', () => {
    expect(() => new Service({ stopTimeout: '5 sec' as any })).to.throw(TypeError, /stopTimeout.*"5 sec"/);
    expect(() => new Service({ startTimeout: -1 })).to.throw(TypeError, /startTimeout.*-1/);
  });
});

describe('humanizeDuration()', () => {
  const cases: [number, string][] = [
    [250, '250 ms'],
    [0, '0 ms'],
    [1500, '1.50 seconds'],
    [1000, '1.00 second'],
    [60_000, '1.00 minute'],
    [90_000, '1.50 minutes'],
    [7_200_000, '2.00 hours'],
    [3_600_000, '1.00 hour'],
    [86_400_000, '1.00 day'],
    [4 * 86_400_000, '4.00 days'],
  ];
  for (const [ms, text] of cases) {
    it(`formats ${ms} as '${text}'`, () => {
      expect(humanizeDuration(ms)).to.equal(text);
    });
  }

  it('throws a TypeError for a value that is not a finite number', () => {
    expect(() => humanizeDuration(NaN)).to.throw(TypeError, /NaN/);
    expect(() => humanizeDuration('1s' as any)).to.throw(TypeError, /"1s"/);
  });
});
