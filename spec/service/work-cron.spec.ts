// Specs for Service#addCron() (API.md sections 3.2 and 3.5): croner expressions with 5 and 6 fields
// run on the service's scheduler in virtual time, time zones, validation, stop and crash behaviour.
import { expect } from 'chai';
import { VirtualTimeScheduler } from 'rxjs';
import { Service, StopTimeoutError } from '../../lib/index.js';
import { createVirtualClock, type VirtualClock } from '../../lib/testing/index.js';
import { outcome, recordEvents } from '../support/lifecycle.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const NEW_YEAR = Date.UTC(2024, 0, 1, 0, 0, 0);

describe('Service', () => {
  describe('#addCron()', () => {
    let clock: VirtualClock;
    let scheduler: VirtualTimeScheduler;
    let svc: Service;
    beforeEach(() => {
      clock = createVirtualClock();
      scheduler = clock.scheduler;
      scheduler.frame = NEW_YEAR;
      svc = new Service({ name: 'S', scheduler, stopTimeout: '1s' });
    });
    afterEach(async () => {
      await clock.until(svc.stop().catch(() => {}));
    });

    /** Records the scheduler time of every run of `expression`, as ISO strings. */
    function record(expression: string, options?: { timezone?: string; name?: string }): string[] {
      const fired: string[] = [];
      svc.addCron(expression, () => void fired.push(new Date(scheduler.now()).toISOString()), options);
      return fired;
    }

    it('runs a 5-field expression at each matching minute', async () => {
      const fired = record('*/5 * * * *', { timezone: 'UTC' });
      await svc.start();
      await clock.advance(16 * MINUTE);
      expect(fired).to.deep.equal([
        '2024-01-01T00:05:00.000Z',
        '2024-01-01T00:10:00.000Z',
        '2024-01-01T00:15:00.000Z',
      ]);
    });

    it('runs a 6-field expression at each matching second', async () => {
      const fired = record('*/10 * * * * *', { timezone: 'UTC' });
      await svc.start();
      await clock.advance(35 * SECOND);
      expect(fired).to.deep.equal([
        '2024-01-01T00:00:10.000Z',
        '2024-01-01T00:00:20.000Z',
        '2024-01-01T00:00:30.000Z',
      ]);
    });

    it('reads the expression in the given time zone', async () => {
      const paris = record('0 9 * * *', { timezone: 'Europe/Paris' });
      const newYork = record('0 9 * * *', { timezone: 'America/New_York' });
      await svc.start();
      await clock.advance(2 * DAY);
      expect(paris).to.deep.equal(['2024-01-01T08:00:00.000Z', '2024-01-02T08:00:00.000Z']);
      expect(newYork).to.deep.equal(['2024-01-01T14:00:00.000Z', '2024-01-02T14:00:00.000Z']);
    });

    describe('without a time zone', () => {
      const saved = process.env.TZ;
      before(() => void (process.env.TZ = 'Asia/Kolkata'));
      after(() => {
        if (saved === undefined) delete process.env.TZ;
        else process.env.TZ = saved;
      });

      it('reads the expression in the local time zone', async () => {
        scheduler.frame = NEW_YEAR;
        const fired = record('30 9 * * *');
        await svc.start();
        await clock.advance(2 * DAY);
        // 09:30 in Kolkata (UTC+05:30) is 04:00 UTC
        expect(fired).to.deep.equal(['2024-01-01T04:00:00.000Z', '2024-01-02T04:00:00.000Z']);
      });
    });

    it('runs on every start from the time of that start', async () => {
      const fired = record('0 * * * *', { timezone: 'UTC' });
      await svc.start();
      await clock.advance(HOUR + MINUTE);
      await svc.stop();
      await clock.advance(2 * HOUR);
      expect(fired).to.deep.equal(['2024-01-01T01:00:00.000Z']);
      await svc.start();
      await clock.advance(HOUR);
      expect(fired).to.deep.equal(['2024-01-01T01:00:00.000Z', '2024-01-01T04:00:00.000Z']);
    });

    it('stops firing at stop and leaves no scheduled action behind', async () => {
      const fired = record('* * * * * *');
      await svc.start();
      await clock.advance(3 * SECOND);
      await svc.stop();
      await clock.advance(MINUTE);
      expect(fired).to.have.length(3);
      expect(scheduler.actions).to.have.length(0);
    });

    it('never runs a body concurrently with itself', async () => {
      let active = 0;
      let most = 0;
      let runs = 0;
      svc.addCron('* * * * * *', async () => {
        runs++;
        most = Math.max(most, ++active);
        await new Promise<void>((resolve) => scheduler.schedule(() => resolve(), 2500));
        active--;
      });
      await svc.start();
      await clock.advance(10 * SECOND);
      expect(runs).to.be.within(2, 4);
      expect(most).to.equal(1);
    });

    it("awaits a body in flight at stop, as the 'cron:<name>' phase", async () => {
      svc.addCron('* * * * * *', () => new Promise<void>(() => {}));
      const rec = recordEvents(svc);
      await svc.start();
      await clock.advance(SECOND);
      const stopping = outcome(svc.stop());
      await clock.advance(SECOND);
      const result = await stopping;
      expect(!result.ok && result.error).to.be.instanceOf(StopTimeoutError);
      expect(rec.ofType('stop-timeout')[0]?.stuck).to.deep.equal([
        { path: 'S', phase: 'cron:cron-1', elapsedMs: 1000 },
      ]);
      rec.stop();
    });

    it('crashes the service when the body throws', async () => {
      const boom = new Error('cron failed');
      svc.addCron('* * * * * *', () => {
        throw boom;
      });
      await svc.start();
      await clock.advance(SECOND);
      expect(svc.state).to.equal('crashed');
      expect(svc.crashReason).to.equal(boom);
    });

    it('rejects an invalid expression with a TypeError naming it', () => {
      for (const expression of ['61 * * * *', 'every minute', '', '* * * * * * * *']) {
        expect(() => svc.addCron(expression, () => {}), expression).to.throw(TypeError, /expression/);
        expect(() => svc.addCron(expression, () => {}), expression).to.throw(
          TypeError,
          JSON.stringify(expression),
        );
      }
    });

    it('accepts the forms croner accepts: 5 to 7 fields, names, L, W, #, ? and nicknames', () => {
      for (const expression of [
        '0 0 L * *',
        '0 0 15W * *',
        '0 0 LW * *',
        '0 0 * * FRI#2',
        '0 0 * * 5L',
        '0 0 ? * MON-FRI',
        '0 0 * JAN-MAR SAT-SUN',
        '*/15 1-5/2 * * * *',
        '0 0 0 1 1 * 2030',
        '@daily',
      ]) {
        expect(() => svc.addCron(expression, () => {}), expression).not.to.throw();
      }
    });

    it('rejects malformed fields with a TypeError naming the expression', () => {
      for (const expression of [
        '0 24 * * *',
        '0 0 32 * *',
        '*/0 * * * *',
        '5-1 * * * *',
        '0 0 * 1/2 *',
        '@every',
      ]) {
        expect(() => svc.addCron(expression, () => {}), expression).to.throw(
          TypeError,
          JSON.stringify(expression),
        );
      }
    });

    it('rejects an invalid time zone with a TypeError naming it', () => {
      expect(() => svc.addCron('* * * * *', () => {}, { timezone: 'Mars/Olympus' })).to.throw(
        TypeError,
        /timezone.*"Mars\/Olympus"/,
      );
    });

    it('rejects a body that is not a function', () => {
      expect(() => svc.addCron('* * * * *', null as any)).to.throw(TypeError, /fn.*null/);
    });
  });
});
